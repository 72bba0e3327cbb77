import type { Random } from "./seeded-random.js";

/** What a category's products are called, made by, cost and are described by. */
export interface CategoryVocabulary {
  slug: string;
  title: string;
  nouns: string[];
  adjectives: string[];
  brands: string[];
  /** Price range in cents. */
  price: [number, number];
  attributes: (random: Random) => Record<string, string>;
  pitch: string[];
}

const colours = ["Black", "White", "Silver", "Navy", "Red", "Forest Green", "Charcoal", "Sand", "Sky Blue", "Burgundy"];
const sizes = ["XS", "S", "M", "L", "XL", "XXL"];

export const CATEGORIES: CategoryVocabulary[] = [
  {
    slug: "electronics",
    title: "Electronics",
    nouns: ["Wireless Headphones", "Bluetooth Speaker", "4K Monitor", "Mechanical Keyboard", "Gaming Mouse", "USB-C Hub", "Smartwatch", "Noise Cancelling Earbuds", "Portable Charger", "Webcam", "Tablet", "E-Reader", "Action Camera", "Soundbar"],
    adjectives: ["Pro", "Ultra", "Slim", "Compact", "Wireless", "Smart", "Premium", "Studio", "Travel", "Max"],
    brands: ["Sonora", "Voltix", "Pixelon", "Auralis", "Kinetic Labs", "Nimbus", "Quanta"],
    price: [1499, 89999],
    attributes: (r) => ({ colour: r.pick(colours), batteryLife: `${r.int(6, 60)} hours`, connectivity: r.pick(["Bluetooth 5.3", "Wi-Fi 6", "USB-C", "Bluetooth 5.0"]), warranty: `${r.int(1, 3)} years` }),
    pitch: ["Crisp sound and all-day comfort.", "Built for work and play.", "Pairs instantly with your devices.", "Low latency for gaming and calls.", "Fast charging over USB-C."],
  },
  {
    slug: "books",
    title: "Books",
    nouns: ["Novel", "Cookbook", "Field Guide", "Biography", "Poetry Collection", "Graphic Novel", "History", "Travel Guide", "Self-Help Book", "Science Primer"],
    adjectives: ["The Silent", "A Brief", "The Complete", "Hidden", "The Last", "Modern", "Essential", "Illustrated", "Forgotten", "Wild"],
    brands: ["Harbor House", "Pinecrest Press", "Lantern Books", "Northwind Publishing", "Atlas & Quill"],
    price: [799, 4999],
    attributes: (r) => ({ format: r.pick(["Hardcover", "Paperback", "Audiobook"]), pages: String(r.int(120, 900)), language: r.pick(["English", "English", "Spanish", "French"]), author: `${r.pick(["Ada", "Liam", "Maya", "Noah", "Iris", "Omar", "Zoe"])} ${r.pick(["Hart", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Reyes"])}` }),
    pitch: ["A page-turner critics love.", "Beautifully illustrated throughout.", "The definitive edition.", "Perfect for curious minds.", "A story that stays with you."],
  },
  {
    slug: "home-kitchen",
    title: "Home & Kitchen",
    nouns: ["Chef's Knife", "Cast Iron Skillet", "Espresso Machine", "Blender", "Dutch Oven", "Coffee Grinder", "Air Fryer", "Cutting Board", "Kettle", "Stand Mixer", "Throw Blanket", "Table Lamp"],
    adjectives: ["Classic", "Professional", "Everyday", "Artisan", "Nordic", "Heavy-Duty", "Minimalist", "Deluxe"],
    brands: ["Hearthstone", "Copperline", "Brisk & Co", "Oakmere", "Ember Kitchen"],
    price: [999, 59999],
    attributes: (r) => ({ material: r.pick(["Stainless Steel", "Cast Iron", "Walnut", "Ceramic", "Bamboo", "Aluminium"]), colour: r.pick(colours), capacity: `${r.int(1, 8)} L`, dishwasherSafe: r.pick(["yes", "no"]) }),
    pitch: ["Made to last for generations.", "Heats evenly, cleans easily.", "A kitchen favourite.", "Thoughtful design for daily use."],
  },
  {
    slug: "clothing",
    title: "Clothing",
    nouns: ["Rain Jacket", "Wool Sweater", "Denim Jeans", "Linen Shirt", "Hoodie", "Chino Trousers", "Puffer Vest", "Running Shorts", "Cotton T-Shirt", "Parka"],
    adjectives: ["Organic", "Relaxed", "Slim-Fit", "Classic", "Lightweight", "Waterproof", "Merino", "Vintage"],
    brands: ["Fjordline", "Urban Thread", "Cobalt & Pine", "Maris", "Loomcraft"],
    price: [1499, 29999],
    attributes: (r) => ({ size: r.pick(sizes), colour: r.pick(colours), fabric: r.pick(["Cotton", "Merino Wool", "Linen", "Recycled Polyester", "Denim"]), fit: r.pick(["Regular", "Slim", "Relaxed"]) }),
    pitch: ["Soft, breathable and easy to care for.", "Layers well in every season.", "Cut for comfort.", "Responsibly made."],
  },
  {
    slug: "sports-outdoors",
    title: "Sports & Outdoors",
    nouns: ["Trail Running Shoes", "Yoga Mat", "Camping Tent", "Hiking Backpack", "Water Bottle", "Sleeping Bag", "Road Bike Helmet", "Dumbbell Set", "Tennis Racket", "Headlamp"],
    adjectives: ["Ultralight", "All-Terrain", "Trail", "Summit", "Endurance", "Alpine", "Pro"],
    brands: ["Ridgeback", "Peakform", "Wildpath", "Stride", "Basecamp"],
    price: [1299, 49999],
    attributes: (r) => ({ colour: r.pick(colours), weight: `${r.int(80, 4000)} g`, material: r.pick(["Nylon", "Polyester", "Carbon", "Rubber", "Aluminium"]), season: r.pick(["3-season", "4-season", "All-year"]) }),
    pitch: ["Ready for your next adventure.", "Tested on real trails.", "Durable where it matters.", "Light enough to forget you carry it."],
  },
  {
    slug: "toys-games",
    title: "Toys & Games",
    nouns: ["Building Blocks Set", "Board Game", "Puzzle", "Remote Control Car", "Plush Bear", "Card Game", "Science Kit", "Wooden Train Set", "Drone"],
    adjectives: ["Family", "Classic", "Deluxe", "Junior", "Strategy", "Creative", "Mega"],
    brands: ["Playwright Toys", "Brightbox", "Tinker Town", "Meeple Works"],
    price: [999, 19999],
    attributes: (r) => ({ ageRange: `${r.int(3, 10)}+`, players: `${r.int(1, 2)}-${r.int(3, 8)}`, pieces: String(r.int(20, 2000)) }),
    pitch: ["Hours of screen-free fun.", "Great for family nights.", "Sparks creativity.", "A gift they will remember."],
  },
  {
    slug: "beauty",
    title: "Beauty & Personal Care",
    nouns: ["Face Serum", "Moisturiser", "Shampoo", "Electric Toothbrush", "Hair Dryer", "Sunscreen", "Lip Balm", "Beard Trimmer"],
    adjectives: ["Hydrating", "Gentle", "Daily", "Nourishing", "Mineral", "Advanced"],
    brands: ["Lumen Skin", "Verdant", "Purely", "Aster"],
    price: [499, 24999],
    attributes: (r) => ({ skinType: r.pick(["All", "Dry", "Oily", "Sensitive"]), volume: `${r.int(15, 500)} ml`, scent: r.pick(["Unscented", "Citrus", "Lavender", "Cedar"]) }),
    pitch: ["Dermatologist tested.", "Clean ingredients you can read.", "Visible results in weeks.", "Gentle enough for every day."],
  },
  {
    slug: "grocery",
    title: "Grocery",
    nouns: ["Coffee Beans", "Green Tea", "Olive Oil", "Dark Chocolate", "Granola", "Honey", "Pasta", "Hot Sauce", "Almond Butter"],
    adjectives: ["Organic", "Single-Origin", "Extra Virgin", "Small-Batch", "Fair Trade", "Roasted"],
    brands: ["Fieldstone Farms", "Golden Grove", "Roastery Row", "Harvest Table"],
    price: [299, 4999],
    attributes: (r) => ({ weight: `${r.int(100, 1000)} g`, origin: r.pick(["Colombia", "Italy", "Kenya", "Greece", "Japan", "Mexico"]), organic: r.pick(["yes", "no"]) }),
    pitch: ["Sourced from small growers.", "Rich, balanced flavour.", "A pantry staple.", "Freshly packed."],
  },
  {
    slug: "garden",
    title: "Garden",
    nouns: ["Garden Hose", "Pruning Shears", "Raised Bed", "Plant Pot", "Watering Can", "Solar Lights", "Bird Feeder", "Lawn Mower"],
    adjectives: ["Expandable", "Heavy-Duty", "Cordless", "Ergonomic", "Weatherproof"],
    brands: ["Greenhaven", "Terra Tools", "Bloomfield"],
    price: [899, 39999],
    attributes: (r) => ({ material: r.pick(["Steel", "Cedar", "Terracotta", "Recycled Plastic"]), colour: r.pick(colours), length: `${r.int(1, 30)} m` }),
    pitch: ["Makes garden work easier.", "Built for every season.", "Looks good, works hard."],
  },
  {
    slug: "automotive",
    title: "Automotive",
    nouns: ["Dash Cam", "Tyre Inflator", "Car Vacuum", "Phone Mount", "Jump Starter", "Seat Covers", "LED Headlight Bulbs"],
    adjectives: ["Compact", "Heavy-Duty", "Universal", "Smart", "Portable"],
    brands: ["Roadwise", "Torque", "Mileline"],
    price: [1299, 24999],
    attributes: (r) => ({ compatibility: r.pick(["Universal", "Most sedans", "SUVs and trucks"]), power: `${r.int(5, 150)} W`, colour: r.pick(colours) }),
    pitch: ["Peace of mind on every drive.", "Installs in minutes.", "Road-tested reliability."],
  },
];
