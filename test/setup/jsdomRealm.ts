// The jsdom environment replaces some globals with jsdom's own realm's (Uint8Array among them), so bytes
// made by Node (TextEncoder, WebCrypto, Buffer) fail `instanceof Uint8Array` checks in libraries such as jose.
// React tests run a real engine and server in this process: give them Node's typed arrays and encoders.
import { TextDecoder, TextEncoder } from 'node:util';

const NodeUint8Array = Object.getPrototypeOf(Buffer.prototype).constructor as typeof Uint8Array;
Object.assign(globalThis, { Uint8Array: NodeUint8Array, ArrayBuffer: new NodeUint8Array(0).buffer.constructor, TextEncoder, TextDecoder });
