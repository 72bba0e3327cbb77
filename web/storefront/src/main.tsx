import { render } from "preact";
import "./storefront.css";
import { App } from "./app.js";

const root = document.getElementById("storefront")!;
// The loading line served in index.html goes; render only adds to what is there.
root.textContent = "";
render(<App />, root);
