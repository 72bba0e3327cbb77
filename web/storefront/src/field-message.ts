/**
 * The server names the argument a refusal is about (`extensions.field`) and begins its message
 * with that name, as an API's user reads it ("region must be a US state ..."). A form shows the
 * shopper its own label for the field instead ("State or province must be a US state ..."):
 * the argument's name is nowhere on the page.
 */
export function fieldMessage(message: string, extensions: Record<string, unknown> | undefined, labels: Readonly<Record<string, string>>): string {
  const field = extensions?.field;
  if (typeof field !== "string" || !Object.hasOwn(labels, field) || !message.startsWith(`${field} `)) return message;
  return `${labels[field]}${message.slice(field.length)}`;
}
