import { useState } from "preact/hooks";
import { RequestPasswordResetDocument } from "../../../../clients/typescript/src/index.js";
import { ErrorNotice } from "../components.js";
import { href } from "../route.js";
import { useMutation } from "../use-operation.js";

/**
 * Asks for a password-reset link. The answer is the same whether or not the address has an
 * account (the API tells nobody which addresses are customers'), so the page says "if".
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState<string | undefined>();
  const request = useMutation(RequestPasswordResetDocument);
  return (
    <section aria-labelledby="forgot-title" class="narrow">
      <h1 id="forgot-title">Reset your password</h1>
      {sentTo ? (
        <p role="status">
          If an account uses {sentTo}, we have sent it a link to choose a new password. The link works once and expires soon. <a href={href.logIn()}>Back to sign in</a>
        </p>
      ) : (
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            const address = email.trim();
            if (await request.run({ email: address })) setSentTo(address);
          }}
        >
          <label for="forgot-email">Email</label>
          <input id="forgot-email" type="email" autocomplete="email" required maxLength={254} value={email} onInput={(event) => setEmail((event.target as HTMLInputElement).value)} />
          <ErrorNotice error={request.error} />
          <button type="submit" disabled={request.busy}>
            Email me a link
          </button>
        </form>
      )}
    </section>
  );
}
