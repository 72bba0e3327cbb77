import { isDeepStrictEqual } from "node:util";

/**
 * Where two JSON values first differ, as a path (`cart.items[2].product.stock: 4 != 5`), or
 * undefined when equal (key order aside). A peer's wrong answer is then readable at once.
 */
export function firstDifference(expected: unknown, actual: unknown, path = ""): string | undefined {
  if (isDeepStrictEqual(expected, actual)) return undefined;
  const show = (value: unknown) => (value === undefined ? "missing" : JSON.stringify(value)?.slice(0, 80));
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const inner = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (inner) return inner;
    }
  } else if (isObject(expected) && isObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const inner = firstDifference(expected[key], actual[key], path ? `${path}.${key}` : key);
      if (inner) return inner;
    }
  }
  return `${path || "(root)"}: expected ${show(expected)}, got ${show(actual)}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
