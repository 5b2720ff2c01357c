// gzip through the Compression Streams API, which every runtime the web build serves has
// (workerd, Deno, Bun, browsers, Vercel Edge) and Node.js too.

/** gzip-compresses a body with `CompressionStream`; rejects with the fix when the runtime has none. */
export async function gzipWeb(body: string): Promise<Uint8Array> {
  if (typeof CompressionStream !== 'function') {
    throw new Error("this runtime has no CompressionStream to gzip with; set compression: 'none'");
  }
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
