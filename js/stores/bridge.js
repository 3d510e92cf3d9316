// The engine's side of a store: the object wasm/bindings.cpp calls
// synchronously from inside the engine. It never throws (a JS exception
// unwinding through wasm frames would skip the engine's cleanup): a failed
// call returns false and leaves the reason in `error`, which the engine
// raises as a store-error.
//
// Addresses cross as 32-char hex strings; del() and list() pass them
// concatenated. Node bytes from the engine are views into wasm memory,
// valid during the call only: stores copy them (SharedArrayBuffer views, of
// the threaded build, are copied here since IndexedDB cannot store them).
export function storeBridge(store) {
  const bridge = {
    error: "",
    get(addr) {
      try {
        return store.get(addr) ?? null;
      } catch (err) {
        return fail(err);
      }
    },
    put(addr, view) {
      try {
        store.put(addr, ownBytes(view));
        return true;
      } catch (err) {
        return fail(err);
      }
    },
    del(concatenated) {
      try {
        const addrs = [];
        for (let i = 0; i + 32 <= concatenated.length; i += 32) addrs.push(concatenated.slice(i, i + 32));
        store.del(addrs);
        return true;
      } catch (err) {
        return fail(err);
      }
    },
    list() {
      try {
        return store.list().join("");
      } catch (err) {
        return fail(err);
      }
    },
    readRoot() {
      try {
        return store.readRoot() ?? null;
      } catch (err) {
        return fail(err);
      }
    },
    writeRoot(view) {
      try {
        store.writeRoot(ownBytes(view));
        return true;
      } catch (err) {
        return fail(err);
      }
    },
    sync() {
      try {
        store.sync();
        return true;
      } catch (err) {
        return fail(err);
      }
    },
  };
  function fail(err) {
    bridge.error = String(err?.message ?? err);
    return false;
  }
  return bridge;
}

const hasShared = typeof SharedArrayBuffer !== "undefined";
function ownBytes(view) {
  return hasShared && view.buffer instanceof SharedArrayBuffer ? view.slice() : view;
}
