/** A writable that keeps what the CLI writes, for its tests. */
export function output(): { write: (chunk: string) => void; readonly text: string } {
  let text = "";
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    get text() {
      return text;
    },
  };
}
