// Files read straight into a wasm instance's memory: the two calls the core makes through its FileReader
// (src/wasm.rs). The core asks `size(i)` (the file is opened and its length given, or -1), allocates that much,
// then asks `read(i, ptr, len)`: the bytes go into the memory at ptr through a view made at that moment (after the
// core allocated: nothing runs in the module between the two calls, and the memory may have grown), and the file is
// closed. No JS buffer holds the file on the way. Used by the main thread's core calls (js/engine.js) and by the
// parse threads (js/parse-worker.js), each with its own instance's memory.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A reader of `paths` (file i is paths[i]) into `memory` (a WebAssembly.Memory). `failed(i, error)` hears why file
 * i could not be opened or read (the core gets -1). close() closes a file opened by size() and not read since,
 * which only happens when a core call fails between the two.
 */
export function fileReader(paths, memory, failed) {
  const open = new Map();
  const fail = (i, error) => {
    failed(i, error);
    return -1;
  };
  return {
    // Opens file i; its length, or -1.
    size(i) {
      try {
        const fd = openSync(paths[i], 'r');
        open.set(i, fd);
        return fstatSync(fd).size;
      } catch (error) {
        return fail(i, error);
      }
    },
    // Reads up to len bytes of file i into the memory at ptr and closes it; the bytes read, or -1.
    read(i, ptr, len) {
      const fd = open.get(i);
      open.delete(i);
      if (fd === undefined) return -1;
      try {
        const view = new Uint8Array(memory.buffer, ptr, len);
        let done = 0;
        while (done < len) {
          const n = readSync(fd, view, done, len - done, done);
          if (n === 0) break;
          done += n;
        }
        return done;
      } catch (error) {
        return fail(i, error);
      } finally {
        closeSync(fd);
      }
    },
    close() {
      for (const fd of open.values()) closeSync(fd);
      open.clear();
    },
  };
}
