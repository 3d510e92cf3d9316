// The benchmark's people (shared/bench/WORKLOADS.md), from one seeded
// generator (mulberry32) that every JS runner uses, so the DataScript-only
// runner and the side-by-side runner build the same data.

export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const NAMES = ["Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"];
export const LAST_NAMES = ["Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"];
export const ALIASES = ["A. C. Q. W.", "A. J. Finn", "A.A. Fair", "Aapeli", "Aaron Wolfe", "Abigail Van Buren",
  "Jeanne Phillips", "Abram Tertz", "Abu Nuwas", "Acton Bell", "Adunis"];

// The first n people of the one infinite sequence; shuffled (with the same
// generator, continuing) when asked. Neutral form: k (the tempid number),
// sex as "male"/"female", alias an array of distinct strings.
export function makePeople(n, seed, shuffle) {
  const r = rng(seed);
  const pick = (k) => Math.floor(r() * k);
  const people = new Array(n);
  for (let k = 1; k <= n; k++) {
    const name = NAMES[pick(8)], last = LAST_NAMES[pick(6)];
    const al = new Set();
    const draws = pick(10);
    for (let i = 0; i < draws; i++) al.add(ALIASES[pick(11)]);
    people[k - 1] = { k, name, last, full: `${name} ${last}`, alias: [...al], sex: pick(2) === 0 ? "male" : "female",
      age: pick(100), salary: pick(100000) };
  }
  if (shuffle) {
    for (let i = people.length - 1; i > 0; i--) {
      const j = pick(i + 1);
      [people[i], people[j]] = [people[j], people[i]];
    }
  }
  return people;
}
