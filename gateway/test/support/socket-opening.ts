import WebSocket from "ws";

/**
 * Opens a graphql-ws socket with these upgrade headers (an Origin, as a browser page sends it)
 * and sends connection_init: "acknowledged", "refused <status>" at the upgrade, or "closed <code>".
 */
export function openSocketAs(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws", { headers });
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") {
        socket.close();
        resolve("acknowledged");
      }
    });
    socket.on("unexpected-response", (_request, response) => {
      resolve(`refused ${response.statusCode}`);
      socket.terminate();
    });
    socket.on("close", (code) => resolve(`closed ${code}`));
    socket.on("error", () => undefined);
  });
}
