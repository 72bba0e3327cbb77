import { GraphQLError } from "graphql";
import { ErrorCode } from "./error-codes.js";

/**
 * An expected failure with a stable code. Its message is written for the client and is
 * shown as is; anything else thrown is masked by the formatter.
 */
export class DomainError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...details } });
    this.name = "DomainError";
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, details);

export const notFound = (what: string, id: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${what} ${id} was not found`, { id });

export const unauthenticated = (message = "Sign in to do this") =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = "You are not allowed to do this") =>
  new DomainError(ErrorCode.FORBIDDEN, message);
