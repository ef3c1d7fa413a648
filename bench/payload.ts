/**
 * The session every workload stores: what a typical express-session session looks like
 * once an app has logged a user in, about 1 KB as BSON. A few property names hold "-" so
 * that the Filter option has names to escape, as it would in a real app.
 */

export interface BenchUser {
  id: string;
  name: string;
  email: string;
  roles: string[];
  preferences: Record<string, string | number | boolean>;
  address: Record<string, string>;
  cart: { sku: string; qty: number; price: number }[];
  lastLogin: Date;
}

declare module 'express-session' {
  interface SessionData {
    user?: BenchUser;
    csrfSecret?: string;
    returnTo?: string;
    flash?: Record<string, string[]>;
    visits?: number;
    recentlyViewed?: string[];
  }
}

/** Everything but the cookie: what a route puts into `req.session`. Fresh objects each call. */
export function sessionFields() {
  return {
    user: {
      id: '64f1c2a9e3b7d5a1c0f4e821',
      name: 'Ada Lovelace-Byron',
      email: 'ada.lovelace@example.com',
      roles: ['user', 'editor', 'billing-admin'],
      preferences: {
        'color-scheme': 'dark',
        'items-per-page': 25,
        language: 'en-GB',
        timezone: 'Europe/London',
        newsletter: false,
        'beta-features': true,
      },
      address: { line1: '12 St James-Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
      cart: [
        { sku: 'BK-0001-HB', qty: 1, price: 24.99 },
        { sku: 'BK-0417-PB', qty: 2, price: 12.5 },
        { sku: 'MG-2211-DG', qty: 1, price: 4.99 },
        { sku: 'ST-0093-XL', qty: 3, price: 19.0 },
      ],
      lastLogin: new Date('2025-01-15T09:30:00Z'),
    },
    csrfSecret: 'pX3kq9V0tZr8mN2bL5cW7yH1dF4gJ6sA',
    returnTo: '/account/orders?page=2&sort=date-desc',
    flash: { info: ['Your profile was updated.'], 'form-errors': [] as string[] },
    visits: 1,
    recentlyViewed: ['BK-0001-HB', 'BK-0417-PB', 'MG-2211-DG', 'ST-0093-XL', 'BK-1290-PB', 'EL-0042-US', 'BK-0771-HB', 'HM-3301-GR'],
  };
}

/** The cookie as express-session stores it (no maxAge: a browser-session cookie). */
export function cookieJson() {
  return { originalMaxAge: null, expires: null, httpOnly: true, path: '/' };
}

/** A whole session as a store receives it, as plain data. */
export function typicalSession() {
  return { cookie: cookieJson(), ...sessionFields() };
}

/** A day, the cookie's maxAge in the rolling-cookie workload. */
export const ROLLING_MAX_AGE_MS = 86_400_000;

/** The cookie of a session with a maxAge, renewed (as express-session does) at `now`. */
export function rollingCookieJson(now = Date.now()) {
  return { originalMaxAge: ROLLING_MAX_AGE_MS, expires: new Date(now + ROLLING_MAX_AGE_MS), httpOnly: true, path: '/' };
}

/** A session whose cookie expires, as the rolling-cookie workload stores it. */
export function rollingSession() {
  return { cookie: rollingCookieJson(), ...sessionFields() };
}
