/**
 * The compiled route table lives in SharedArrayBuffers. The deck worker builds it and the main
 * thread reads it. V8 counts a transferred ArrayBuffer's bytes as external memory of the isolate
 * that receives it, and 100 MB or more arriving at once can make the main isolate run a major
 * garbage collection right there, on the thread that answers calls (measured with six 24 MB
 * arrays from a worker: a main-thread mark-compact on every arrival when transferred, none when
 * shared). A SharedArrayBuffer is not counted per isolate, so taking delivery of a table costs
 * the event loop the same at any size. The retired table is freed when the main thread's garbage
 * collector next finds it unreferenced, as any other object: until then it still holds memory.
 */

type TypedArray = Int32Array | Uint32Array | Uint16Array | Float64Array;

interface TypedArrayType<T extends TypedArray> {
  new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** A zero-filled typed array of `length` elements over a SharedArrayBuffer of its own. */
export function sharedArray<T extends TypedArray>(type: TypedArrayType<T>, length: number): T {
  return new type(new SharedArrayBuffer(length * type.BYTES_PER_ELEMENT), 0, length);
}

/** `a` when it already sits alone in shared memory, else a copy of its elements that does. */
export function inSharedMemory<T extends TypedArray>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a;
  const copy = sharedArray(a.constructor as TypedArrayType<T>, a.length);
  copy.set(a as never);
  return copy;
}
