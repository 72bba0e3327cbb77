/** "1 item", "2 items", "1,200 items": the cart's counts as a shopper reads them ("1 items" before). */
export function itemCount(count: number): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? "item" : "items"}`;
}
