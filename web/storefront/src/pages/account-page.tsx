import { useState } from "preact/hooks";
import { LogInDocument, MyOrdersDocument, SignUpDocument } from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { deviceProofFor, keepDeviceProof } from "../device-proofs.js";
import { Await, ErrorNotice, Money } from "../components.js";
import { href, navigate } from "../route.js";
import { useMutation, useQuery } from "../use-operation.js";
import { ORDER_STATUS_LABELS } from "./order-status-labels.js";

/** Log in or create an account, then go back to where the customer was. */
export function AccountPage({ next, mode: startIn = "signUp" }: { next?: string; mode?: "logIn" | "signUp" }) {
  const [mode, setMode] = useState<"logIn" | "signUp">(startIn);
  const [form, setForm] = useState({ name: "", email: "", password: "" });
  const logIn = useMutation(LogInDocument);
  const signUp = useMutation(SignUpDocument);
  const busy = logIn.busy || signUp.busy;
  const [signingOut, setSigningOut] = useState(false);
  const field = (name: keyof typeof form) => ({
    id: `account-${name}`,
    value: form[name],
    onInput: (event: Event) => setForm({ ...form, [name]: (event.target as HTMLInputElement).value }),
  });

  if (client.session && !busy) {
    return (
      <section>
        <h1>Your account</h1>
        <p>You are signed in.</p>
        {/* Ended on the server too: a token copied before signing out stops working. */}
        <button
          type="button"
          disabled={signingOut}
          onClick={async () => {
            setSigningOut(true);
            await client.logOut();
            setSigningOut(false);
          }}
        >
          Sign out
        </button>
        <MyOrders />
      </section>
    );
  }

  return (
    <section aria-labelledby="account-title" class="narrow">
      <h1 id="account-title">{mode === "signUp" ? "Create your account" : "Sign in"}</h1>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const payload =
            mode === "signUp"
              ? (await signUp.run({ input: { name: form.name, email: form.email, password: form.password } }))?.signUp
              : (await logIn.run({ email: form.email, password: form.password, deviceProof: deviceProofFor(form.email) ?? null }))?.logIn;
          if (!payload) return;
          keepDeviceProof(form.email, payload.deviceProof);
          client.setSession({ accessToken: payload.accessToken, refreshToken: payload.refreshToken });
          navigate(next ?? href.home());
        }}
      >
        {mode === "signUp" && (
          <>
            <label for="account-name">Name</label>
            <input {...field("name")} autocomplete="name" required maxLength={100} />
          </>
        )}
        <label for="account-email">Email</label>
        <input {...field("email")} type="email" autocomplete="email" required />
        <label for="account-password">Password</label>
        <input {...field("password")} type="password" autocomplete={mode === "signUp" ? "new-password" : "current-password"} required minLength={8} aria-describedby="password-hint" />
        <p id="password-hint" class="muted">
          8 to 128 characters.
        </p>
        {mode === "logIn" && (
          <p>
            <a href={href.forgotPassword()}>Forgot your password?</a>
          </p>
        )}
        <ErrorNotice error={mode === "signUp" ? signUp.error : logIn.error} />
        <button type="submit" disabled={busy}>
          {mode === "signUp" ? "Create account" : "Sign in"}
        </button>
      </form>
      <p>
        {mode === "signUp" ? "Already have an account? " : "New here? "}
        <button type="button" class="link" onClick={() => setMode(mode === "signUp" ? "logIn" : "signUp")}>
          {mode === "signUp" ? "Sign in" : "Create an account"}
        </button>
      </p>
    </section>
  );
}

/** The customer's latest orders, each leading to its page (status, cancel, returns). */
function MyOrders() {
  const [orders] = useQuery(MyOrdersDocument, {});
  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">Your orders</h2>
      <Await loaded={orders}>
        {({ orders }) =>
          orders.edges.length === 0 ? (
            <p>No orders yet.</p>
          ) : (
            <ul class="summary">
              {orders.edges.map(({ node: order }) => (
                <li key={order.id}>
                  <a href={href.order(order.id)}>{new Date(order.createdAt).toLocaleDateString()}</a> {ORDER_STATUS_LABELS[order.status]} <Money money={order.total} />
                </li>
              ))}
            </ul>
          )
        }
      </Await>
    </section>
  );
}
