// A realistic, reproducible fake catalog: 20 categories, brands as attributes, prices, stock. No I/O.

export interface GeneratedCategory {
  slug: string;
  name: string;
  description: string;
}

export interface GeneratedProduct {
  name: string;
  description: string;
  /** minor units */
  price: number;
  currency: string;
  category: string;
  attributes: Record<string, string | number | boolean>;
  stock: number;
  /** 0..1, picks the generated picture's colour */
  hue: number;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CategorySpec {
  slug: string;
  name: string;
  nouns: string[];
  /** price range in whole currency units */
  price: [number, number];
  extra?: (pick: Picker) => Record<string, string | number | boolean>;
}

type Picker = <T>(items: readonly T[]) => T;

const SIZES = ['XS', 'S', 'M', 'L', 'XL'];

export const CATEGORIES: readonly CategorySpec[] = [
  {
    slug: 'electronics',
    name: 'Electronics',
    nouns: ['Charger', 'Power Bank', 'Smart Plug', 'USB Hub', 'Adapter', 'Cable'],
    price: [9, 120],
  },
  {
    slug: 'computers',
    name: 'Computers',
    nouns: ['Keyboard', 'Mouse', 'Monitor', 'Laptop Stand', 'Webcam', 'Docking Station'],
    price: [19, 900],
  },
  {
    slug: 'audio',
    name: 'Audio',
    nouns: ['Headphones', 'Earbuds', 'Speaker', 'Soundbar', 'Microphone', 'Turntable'],
    price: [15, 600],
  },
  {
    slug: 'phones',
    name: 'Phones & Accessories',
    nouns: ['Phone Case', 'Screen Protector', 'Phone Mount', 'Wireless Charger', 'Smartphone'],
    price: [8, 1100],
  },
  {
    slug: 'cameras',
    name: 'Cameras',
    nouns: ['Camera', 'Tripod', 'Lens', 'Camera Bag', 'Action Camera', 'Ring Light'],
    price: [20, 1500],
  },
  {
    slug: 'home-office',
    name: 'Home Office',
    nouns: ['Desk', 'Office Chair', 'Desk Lamp', 'Monitor Arm', 'Footrest', 'Filing Cabinet'],
    price: [25, 700],
  },
  {
    slug: 'furniture',
    name: 'Furniture',
    nouns: ['Chair', 'Table', 'Sofa', 'Bookshelf', 'Bed Frame', 'Stool', 'Dresser'],
    price: [40, 1800],
  },
  {
    slug: 'kitchen',
    name: 'Kitchen',
    nouns: ['Knife Set', 'Frying Pan', 'Blender', 'Coffee Maker', 'Cutting Board', 'Kettle', 'Toaster'],
    price: [10, 400],
  },
  {
    slug: 'home-decor',
    name: 'Home Decor',
    nouns: ['Vase', 'Lamp', 'Rug', 'Mirror', 'Clock', 'Cushion', 'Candle Holder'],
    price: [8, 350],
  },
  {
    slug: 'garden',
    name: 'Garden',
    nouns: ['Planter', 'Garden Hose', 'Pruning Shears', 'Bird Feeder', 'Watering Can', 'Garden Bench'],
    price: [7, 450],
  },
  {
    slug: 'tools',
    name: 'Tools',
    nouns: ['Drill', 'Hammer', 'Screwdriver Set', 'Wrench', 'Tool Box', 'Saw', 'Tape Measure'],
    price: [6, 500],
  },
  {
    slug: 'sports',
    name: 'Sports',
    nouns: ['Ball', 'Yoga Mat', 'Dumbbells', 'Tennis Racket', 'Jump Rope', 'Bike Helmet'],
    price: [8, 600],
  },
  {
    slug: 'outdoors',
    name: 'Outdoors',
    nouns: ['Tent', 'Backpack', 'Sleeping Bag', 'Camping Stove', 'Headlamp', 'Water Bottle'],
    price: [10, 700],
  },
  {
    slug: 'toys',
    name: 'Toys & Games',
    nouns: ['Puzzle', 'Board Game', 'Building Set', 'Plush Toy', 'Kite', 'Toy Car'],
    price: [6, 150],
  },
  {
    slug: 'books',
    name: 'Books',
    nouns: ['Notebook', 'Cookbook', 'Novel', 'Atlas', 'Journal', 'Sketchbook'],
    price: [5, 80],
    extra: (pick) => ({ pages: pick([96, 128, 192, 240, 320, 480]) }),
  },
  {
    slug: 'clothing',
    name: 'Clothing',
    nouns: ['Shirt', 'Jacket', 'Sweater', 'Hoodie', 'Pants', 'Scarf', 'Hat'],
    price: [12, 300],
    extra: (pick) => ({ size: pick(SIZES) }),
  },
  {
    slug: 'shoes',
    name: 'Shoes',
    nouns: ['Sneakers', 'Boots', 'Sandals', 'Loafers', 'Running Shoes', 'Slippers'],
    price: [20, 350],
    extra: (pick) => ({ size: pick([38, 39, 40, 41, 42, 43, 44, 45]) }),
  },
  {
    slug: 'jewelry',
    name: 'Jewelry',
    nouns: ['Necklace', 'Ring', 'Bracelet', 'Earrings', 'Watch', 'Pendant'],
    price: [15, 2500],
  },
  {
    slug: 'beauty',
    name: 'Beauty',
    nouns: ['Face Cream', 'Hair Dryer', 'Brush Set', 'Perfume', 'Shaver', 'Mirror Kit'],
    price: [6, 250],
  },
  {
    slug: 'pets',
    name: 'Pet Supplies',
    nouns: ['Dog Bed', 'Cat Tree', 'Leash', 'Pet Bowl', 'Chew Toy', 'Litter Box'],
    price: [5, 250],
  },
];

// The adjective list of the usual fake commerce generators: "Ergonomic" heads about 1 name in 24.
export const ADJECTIVES = [
  'Small',
  'Ergonomic',
  'Electronic',
  'Rustic',
  'Intelligent',
  'Gorgeous',
  'Incredible',
  'Elegant',
  'Fantastic',
  'Practical',
  'Modern',
  'Recycled',
  'Sleek',
  'Bespoke',
  'Awesome',
  'Generic',
  'Handcrafted',
  'Handmade',
  'Licensed',
  'Luxurious',
  'Refined',
  'Unbranded',
  'Compact',
  'Durable',
];

export const MATERIALS = [
  'Steel',
  'Wooden',
  'Concrete',
  'Plastic',
  'Cotton',
  'Granite',
  'Rubber',
  'Metal',
  'Bamboo',
  'Leather',
  'Ceramic',
  'Glass',
  'Aluminum',
  'Bronze',
  'Wool',
  'Silk',
  'Oak',
  'Walnut',
  'Linen',
  'Carbon',
];

export const COLORS = [
  'black',
  'white',
  'grey',
  'silver',
  'red',
  'navy',
  'blue',
  'teal',
  'green',
  'olive',
  'yellow',
  'orange',
  'pink',
  'purple',
  'brown',
  'beige',
];

export const BRANDS = [
  'Aurora',
  'Brightline',
  'Cobalt & Co',
  'Driftwood',
  'Emberly',
  'Fernhill',
  'Granite Peak',
  'Harbor',
  'Ironbark',
  'Juniper',
  'Kestrel',
  'Lumen',
  'Meridian',
  'Northwind',
  'Oakridge',
  'Pinecrest',
  'Quillon',
  'Redwood',
  'Saltmarsh',
  'Tidewater',
  'Umbra',
  'Vantage',
  'Willow Lane',
  'Zephyr',
  'Alder',
  'Bramble',
  'Cinder',
  'Dune',
  'Everest',
  'Foxglove',
  'Glacier',
  'Hollow Oak',
  'Indigo',
  'Jasper',
  'Kindle',
  'Larkspur',
  'Mosaic',
  'Nimbus',
  'Orchid',
  'Pebble',
];

// about one feature line in ten mentions ergonomics, as real shop copy does
const FEATURES = [
  'built to last for years of daily use',
  'designed for comfort during long sessions',
  'with an ergonomic shape that fits the hand',
  'finished by hand in small batches',
  'light enough to carry anywhere',
  'easy to clean and quick to assemble',
  'made from responsibly sourced materials',
  'tested to survive drops, spills and travel',
  'with a minimalist look that suits any room',
  'backed by a two-year warranty',
  'packed in plastic-free recyclable packaging',
  'with a quiet, energy-efficient design',
  'ready to use straight out of the box',
  'compact enough for small spaces',
  'weather resistant for indoor and outdoor use',
  'a favourite gift for friends and family',
  'engineered with precision and care',
  'with soft-touch details and rounded edges',
  'made to match the rest of the collection',
  'with adjustable settings for every need',
];

const CLOSINGS = [
  'Free returns within 30 days.',
  'Ships in two business days.',
  'Limited stock: order while it lasts.',
  'Pairs well with the rest of the range.',
  'Care instructions are included in the box.',
  'Rated highly by our customers.',
];

/** The 20 categories with shop-facing names and a one-line description. */
export function generatedCategories(): GeneratedCategory[] {
  return CATEGORIES.map((c) => ({
    slug: c.slug,
    name: c.name,
    description: `${c.name}: ${c.nouns
      .slice(0, 3)
      .map((n) => n.toLowerCase())
      .join(', ')} and more`,
  }));
}

/**
 * Products `from .. from+count-1` of the catalog made from `seed`; product i is always the same
 * for the same seed, so a catalog can be generated in batches.
 */
export function generateProducts(count: number, opts: { seed?: number; from?: number } = {}): GeneratedProduct[] {
  const seed = opts.seed ?? 42;
  const from = opts.from ?? 0;
  const out: GeneratedProduct[] = [];
  for (let i = from; i < from + count; i++) out.push(generateProduct(seed, i));
  return out;
}

function generateProduct(seed: number, index: number): GeneratedProduct {
  const random = randomSource((seed * 1_000_003 + index * 7919) >>> 0);
  const pick: Picker = (items) => items[Math.floor(random() * items.length)] as (typeof items)[number];
  const category = CATEGORIES[index % CATEGORIES.length] as CategorySpec;
  const adjective = pick(ADJECTIVES);
  const material = pick(MATERIALS);
  const noun = pick(category.nouns);
  const brand = pick(BRANDS);
  const color = pick(COLORS);
  const name = `${adjective} ${material} ${noun}`;
  const [low, high] = category.price;
  // prices cluster at the low end of the range, as in real catalogs, and end in .99 or .49
  const units = Math.floor(low + (high - low) * random() ** 2.2);
  const price = units * 100 + (random() < 0.7 ? 99 : 49);
  const features = [pick(FEATURES), pick(FEATURES)];
  const description = [
    `The ${name.toLowerCase()} by ${brand} comes in ${color}, ${features[0]}.`,
    `${capitalise(material.toLowerCase())} construction, ${features[1]}.`,
    pick(CLOSINGS),
  ].join(' ');
  const stock = random() < 0.08 ? 0 : Math.floor(random() * 250) + 1;
  return {
    name,
    description,
    price,
    currency: 'USD',
    category: category.slug,
    attributes: {
      brand,
      color,
      material: material.toLowerCase(),
      ...(category.extra ? category.extra(pick) : {}),
    },
    stock,
    hue: random(),
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
