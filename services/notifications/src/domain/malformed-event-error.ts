/** An event no retry can turn into a message: it goes to the dead-letter topic at once. */
export class MalformedEventError extends Error {}
