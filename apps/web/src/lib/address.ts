// The shipping address rules of the order API, checked before sending so errors sit by their fields.
import type { Address } from './types.js';

export type AddressErrors = Partial<Record<keyof Address, string>>;

const PHONE = /^\+?[0-9 ()./-]{3,32}$/;

export function validateAddress(a: Address): AddressErrors {
  const e: AddressErrors = {};
  const need = (k: keyof Address, label: string, max: number) => {
    const v = (a[k] ?? '').trim();
    if (!v) e[k] = `Enter ${label}`;
    else if (v.length > max) e[k] = `Use at most ${max} characters`;
  };
  need('name', 'the full name', 200);
  need('line1', 'the street and number', 200);
  need('city', 'the city', 100);
  need('postalCode', 'the postal code', 20);
  if ((a.line2 ?? '').length > 200) e.line2 = 'Use at most 200 characters';
  if ((a.region ?? '').length > 100) e.region = 'Use at most 100 characters';
  if (!/^[A-Z]{2}$/.test(a.country)) e.country = 'Choose a country';
  if (a.phone && !PHONE.test(a.phone.trim())) e.phone = 'Use digits, spaces and + ( ) - only, e.g. +1 415 555 0123';
  return e;
}

/** The body the API takes: optional fields left out when empty. */
export function cleanAddress(a: Address): Address {
  const out: Address = {
    name: a.name.trim(),
    line1: a.line1.trim(),
    city: a.city.trim(),
    postalCode: a.postalCode.trim(),
    country: a.country,
  };
  if (a.line2?.trim()) out.line2 = a.line2.trim();
  if (a.region?.trim()) out.region = a.region.trim();
  if (a.phone?.trim()) out.phone = a.phone.trim();
  return out;
}
