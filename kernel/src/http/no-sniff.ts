/**
 * The header every answer of the platform carries, JSON, text and images alike: a browser shown
 * an answer (an error's text echoing what a client sent, a JSON body opened in a tab) treats it
 * as the type it says and never as a page or a script it guessed from its bytes.
 */
export const NO_SNIFF = ["x-content-type-options", "nosniff"] as const;
