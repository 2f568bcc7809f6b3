/**
 * The MongoDB wire protocol, as much of it as the simulated server needs:
 * the 16-byte message header, the two request formats the Node.js driver
 * sends to a server it has not met yet and to one it has (OP_QUERY for the
 * first `hello`, OP_MSG with one kind-0 section for everything after), and
 * the two reply formats that answer them (OP_REPLY and OP_MSG). Documents are
 * encoded and decoded with the `bson` package.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { deserialize, type Document, serialize } from "bson";

/** OP_REPLY: the answer to an OP_QUERY. */
export const OP_REPLY = 1;
/** OP_QUERY: the legacy request, which the driver uses for its first `hello`. */
export const OP_QUERY = 2004;
/** OP_COMPRESSED: never sent here, since the server offers no compressor. */
export const OP_COMPRESSED = 2012;
/** OP_MSG: every command once the handshake has agreed on wire version 6 or later. */
export const OP_MSG = 2013;

/** Length of the standard message header. */
const HEADER_BYTES = 16;

/** One complete message taken off the wire. */
export interface WireMessage {
  /** `messageLength` from the header: the whole message, header included. */
  readonly length: number;
  /** `requestID`: what the reply names in its `responseTo`. */
  readonly requestId: number;
  /** `responseTo`: 0 in a request. */
  readonly responseTo: number;
  /** `opCode`. */
  readonly opCode: number;
  /** The command document: OP_MSG's kind-0 section, or OP_QUERY's query. */
  readonly command: Document;
  /** OP_MSG's `flagBits` (0 for OP_QUERY). */
  readonly flagBits: number;
}

/** A message the server cannot read; the socket that carried it is reset. */
export class WireFormatError extends Error {
  override name = "WireFormatError";
}

/**
 * Take every complete message off the front of `bytes`.
 *
 * @param bytes What the client has written and the server not yet read.
 * @returns The messages, and the bytes of an incomplete one left over.
 * @throws {WireFormatError} For a message the server does not speak.
 */
export function takeMessages(bytes: Buffer): { messages: WireMessage[]; rest: Buffer } {
  const messages: WireMessage[] = [];
  let offset = 0;
  while (bytes.length - offset >= 4) {
    const length = bytes.readInt32LE(offset);
    if (length < HEADER_BYTES) throw new WireFormatError(`message length ${length} is too short`);
    if (bytes.length - offset < length) break;
    messages.push(readMessage(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  return { messages, rest: bytes.subarray(offset) };
}

function readMessage(message: Buffer): WireMessage {
  const header = {
    length: message.readInt32LE(0),
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    opCode: message.readInt32LE(12),
  };
  if (header.opCode === OP_MSG) {
    const flagBits = message.readUInt32LE(HEADER_BYTES);
    const kind = message[HEADER_BYTES + 4];
    if (kind !== 0) throw new WireFormatError(`OP_MSG section kind ${kind} is not supported`);
    return { ...header, flagBits, command: documentAt(message, HEADER_BYTES + 5) };
  }
  if (header.opCode === OP_QUERY) {
    // flags (int32), fullCollectionName (cstring), numberToSkip, numberToReturn, then the query.
    const nameEnd = message.indexOf(0, HEADER_BYTES + 4);
    if (nameEnd === -1) throw new WireFormatError("OP_QUERY without a collection name");
    return { ...header, flagBits: 0, command: documentAt(message, nameEnd + 1 + 8) };
  }
  throw new WireFormatError(`opCode ${header.opCode} is not supported`);
}

function documentAt(message: Buffer, offset: number): Document {
  const size = message.readInt32LE(offset);
  return deserialize(message.subarray(offset, offset + size));
}

/**
 * Encode the reply to `request`: an OP_REPLY with one document for an
 * OP_QUERY, an OP_MSG with one kind-0 section for an OP_MSG.
 *
 * @param request The request answered.
 * @param requestId The reply's own `requestID`.
 * @param document The reply document.
 * @returns The reply's bytes.
 */
export function encodeReply(request: WireMessage, requestId: number, document: Document): Buffer {
  const body = Buffer.from(serialize(document));
  const legacy = request.opCode === OP_QUERY;
  // OP_REPLY: responseFlags, cursorID (int64), startingFrom, numberReturned; OP_MSG: flagBits, kind.
  const prefix = Buffer.alloc(legacy ? 20 : 5);
  if (legacy) prefix.writeInt32LE(1, 16);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeInt32LE(HEADER_BYTES + prefix.length + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(request.requestId, 8);
  header.writeInt32LE(legacy ? OP_REPLY : OP_MSG, 12);
  return Buffer.concat([header, prefix, body]);
}

/**
 * Encode a request as the driver would: an OP_MSG with one kind-0 section,
 * or an OP_QUERY on `admin.$cmd`. For tests of the server.
 *
 * @param opCode `OP_MSG` or `OP_QUERY`.
 * @param requestId Its `requestID`.
 * @param command The command document.
 * @returns The request's bytes.
 */
export function encodeRequest(opCode: number, requestId: number, command: Document): Buffer {
  const body = Buffer.from(serialize(command));
  const prefix = opCode === OP_QUERY
    ? Buffer.concat([Buffer.alloc(4), Buffer.from("admin.$cmd\0", "latin1"), Buffer.alloc(8)])
    : Buffer.alloc(5);
  if (opCode === OP_QUERY) prefix.writeInt32LE(-1, prefix.length - 4);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeInt32LE(HEADER_BYTES + prefix.length + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, prefix, body]);
}
