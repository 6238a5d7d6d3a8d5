// The API's shapes as the web app reads them (see each service's http/schemas.ts).
export interface Money {
  amount: number;
  currency: string;
}

export interface ProductImage {
  id: string;
  url: string;
  thumbnailUrl: string;
  mediumUrl: string;
  width: number;
  height: number;
}

export type AttributeValue = string | number | boolean | string[];

export interface Product {
  id: string;
  slug: string;
  name: string;
  description: string;
  price: Money;
  category: string | null;
  attributes: Record<string, AttributeValue>;
  stock: number;
  images: ProductImage[];
  sellerId: string;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
}

export interface ProductPage {
  items: Product[];
  nextCursor: string | null;
  total: number;
  totalExact: boolean;
}

export interface Category {
  id: string;
  slug: string;
  name: string;
  description: string;
  /** the category's picture (renditions), when it has one */
  image?: Omit<ProductImage, 'id'> | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Role = 'customer' | 'seller' | 'admin';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

export interface SessionTokens {
  user: User;
  token: string;
  refreshToken: string;
  expiresIn: number;
}

export interface CartLine {
  productId: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  available: number;
}

export interface Cart {
  id: string;
  userId: string | null;
  items: CartLine[];
  subtotal: Money;
}

export type OrderStatus = 'pending' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled' | 'refunded';
export type CancelReason = 'out_of_stock' | 'payment_failed' | 'expired' | 'customer';

export interface Address {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string;
  phone?: string;
}

/** A line's own progress: each seller ships and delivers their lines. */
export type LineFulfilment = 'unshipped' | 'shipped' | 'delivered';

export interface OrderLine {
  productId: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  lineTotal: Money;
  fulfilment: LineFulfilment;
  shippedAt?: string;
  carrier?: string;
  trackingNumber?: string;
  deliveredAt?: string;
}

/** A seller reads only their own lines, with their total as `total`. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  cancelReason: CancelReason | null;
  items: OrderLine[];
  total: Money;
  shippingAddress: Address;
  history: Array<{ status: OrderStatus; at: string; cause: string }>;
  createdAt: string;
  updatedAt: string;
}

export interface Notice {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: string;
}

export interface Preferences {
  email: boolean;
  sms: boolean;
  inApp: boolean;
  phone: string | null;
  updatedAt: string | null;
}
