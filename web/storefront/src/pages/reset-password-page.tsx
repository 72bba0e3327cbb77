import { useState } from "preact/hooks";
import { ResetPasswordDocument } from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { ErrorNotice } from "../components.js";
import { href, navigate } from "../route.js";
import { useMutation } from "../use-operation.js";

/**
 * Where the mailed reset link lands (/shop/reset-password#token=...): a new password for the
 * token. A used, expired or made-up token is INVALID_TOKEN: the page says so and offers a new
 * link, since asking again is the only way on.
 */
export function ResetPasswordPage({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const reset = useMutation(ResetPasswordDocument);

  if (!token) {
    return (
      <section aria-labelledby="reset-title" class="narrow">
        <h1 id="reset-title">Choose a new password</h1>
        <p class="error" role="alert">
          This link is incomplete: open the whole link from the email, or <a href={href.forgotPassword()}>ask for a new one</a>.
        </p>
      </section>
    );
  }

  if (done) {
    return (
      <section aria-labelledby="reset-title" class="narrow">
        <h1 id="reset-title">Password changed</h1>
        <p role="status">Your password is changed, and every device that was signed in is signed out. Sign in with the new password.</p>
        <button type="button" onClick={() => navigate(href.logIn())}>
          Sign in
        </button>
      </section>
    );
  }

  return (
    <section aria-labelledby="reset-title" class="narrow">
      <h1 id="reset-title">Choose a new password</h1>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          if (!(await reset.run({ token, newPassword: password }))) return;
          // The reset ended every session of the account, this tab's too.
          client.setSession(undefined);
          setDone(true);
        }}
      >
        <label for="reset-password">New password</label>
        <input
          id="reset-password"
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          maxLength={128}
          aria-describedby="reset-password-hint"
          value={password}
          onInput={(event) => setPassword((event.target as HTMLInputElement).value)}
        />
        <p id="reset-password-hint" class="muted">
          8 to 128 characters.
        </p>
        <ErrorNotice error={reset.error} />
        {reset.error?.code === "INVALID_TOKEN" && (
          <p>
            <a href={href.forgotPassword()}>Ask for a new link</a>
          </p>
        )}
        <button type="submit" disabled={reset.busy}>
          Change password
        </button>
      </form>
    </section>
  );
}
