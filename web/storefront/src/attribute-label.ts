/**
 * How a product attribute's name reads on its page. The catalog keys attributes as identifiers
 * ("batteryLife", "dishwasherSafe", "material"), which a shopper should read as words ("Battery
 * life", "Dishwasher safe", "Material"); a name already written as words ("USB ports") keeps
 * its letters and only gains a capital first letter.
 */
export function attributeLabel(name: string): string {
  const words = /^[a-z]+(?:[A-Z][a-z0-9]+)+$/.test(name) ? name.replace(/([A-Z])/g, (letter) => ` ${letter.toLowerCase()}`) : name;
  return words.charAt(0).toUpperCase() + words.slice(1);
}
