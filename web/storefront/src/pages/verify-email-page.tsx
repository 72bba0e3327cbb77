import { useEffect, useState } from "preact/hooks";
import { ResendVerificationEmailDocument, VerifyEmailDocument } from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { ErrorNotice } from "../components.js";
import { href } from "../route.js";
import { useMutation } from "../use-operation.js";

/**
 * Where the mailed verification link lands (/shop/verify-email#token=...): it confirms the
 * address on opening, signed in or not, and says so again when reopened (a reload). An expired
 * or made-up token is INVALID_TOKEN; a signed-in customer can have a new link sent from here.
 */
export function VerifyEmailPage({ token }: { token: string }) {
  const verify = useMutation(VerifyEmailDocument);
  const resend = useMutation(ResendVerificationEmailDocument);
  const [verified, setVerified] = useState(false);
  const [resent, setResent] = useState<boolean | undefined>();

  useEffect(() => {
    if (token) void verify.run({ token }).then((result) => setVerified(Boolean(result?.verifyEmail)));
  }, [token]);

  return (
    <section aria-labelledby="verify-title" class="narrow">
      <h1 id="verify-title">Confirm your email</h1>
      {!token ? (
        <p class="error" role="alert">
          This link is incomplete: open the whole link from the email.
        </p>
      ) : verified ? (
        <p role="status">
          Your email address is confirmed. <a href={href.home()}>Continue shopping</a>
        </p>
      ) : verify.busy || (!verify.error && !verified) ? (
        <p aria-busy="true">Confirming…</p>
      ) : (
        <ErrorNotice error={verify.error} />
      )}
      {(!token || verify.error) &&
        (client.session ? (
          resent === undefined ? (
            <>
              <button type="button" disabled={resend.busy} onClick={async () => setResent((await resend.run({}))?.resendVerificationEmail)}>
                Send me a new link
              </button>
              <ErrorNotice error={resend.error} />
            </>
          ) : (
            <p role="status">{resent ? "A new link is on its way to your email." : "Your email address is confirmed already."}</p>
          )
        ) : (
          <p>
            <a href={href.logIn()}>Sign in</a> to have a new link sent.
          </p>
        ))}
    </section>
  );
}
