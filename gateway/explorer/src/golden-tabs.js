/**
 * The explorer's opening tabs: the golden operations (schema/operations, injected at build
 * time as GOLDEN_OPERATIONS), in the order a customer meets them, each with example variables
 * and, where it needs one, the Authorization header template of the account it runs as.
 */
/* global GOLDEN_OPERATIONS */

import { ADMIN_TOKEN_PLACEHOLDER, TOKEN_PLACEHOLDER } from './session-tokens.js';

export { TOKEN_PLACEHOLDER };
const SIGNED_IN = JSON.stringify({ Authorization: `Bearer ${TOKEN_PLACEHOLDER}` }, null, 2);
const ADMIN = JSON.stringify({ Authorization: `Bearer ${ADMIN_TOKEN_PLACEHOLDER}` }, null, 2);
/** Who a tab runs as: nobody, the last account signed in here, or the last admin signed in here. */
const HEADERS = { anonymous: '', customer: SIGNED_IN, admin: ADMIN };

const JOURNEY = [
  ['LogIn', { email: 'admin@storefront.test', password: 'admin-password-dev-only' }, 'anonymous'],
  ['SignUp', { input: { email: 'you@example.com', password: 'at least 8 characters', name: 'Your Name' } }, 'anonymous'],
  ['SearchProducts', { query: 'wireless headphones', sort: 'RELEVANCE' }, 'anonymous'],
  ['Autocomplete', { prefix: 'hea' }, 'anonymous'],
  ['Categories', {}, 'anonymous'],
  ['CategoryListing', { slug: 'electronics', first: 5 }, 'anonymous'],
  ['ProductPage', { id: 'prod_0000001' }, 'anonymous'],
  // Sent beside ProductPage (the query itself records nothing); TrendingProducts counts the views.
  ['RecordProductView', { productId: 'prod_0000001' }, 'anonymous'],
  ['TrendingProducts', { window: 'LAST_HOUR', first: 5 }, 'anonymous'],
  // A guest's cart: put the token in the headers as {"X-Cart-Token": "<token>"} for the cart tabs and LogIn/SignUp.
  ['CreateGuestCart', {}, 'anonymous'],
  ['AddToCart', { productId: 'prod_0000001', quantity: 1 }, 'customer'],
  ['UpdateCartItem', { productId: 'prod_0000001', quantity: 2 }, 'customer'],
  ['Cart', {}, 'customer'],
  ['Me', {}, 'customer'],
  ['AddAddress', { input: { recipientName: 'Your Name', line1: '1 Main Street', city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US', makeDefault: true } }, 'customer'],
  ['ShippingMethods', { countryCode: 'US' }, 'anonymous'],
  // Admin tabs, run as the admin of LogIn above: a tax rate and a coupon for the purchase below.
  ['SetTaxRate', { countryCode: 'US', region: 'IL', rateBasisPoints: 1000 }, 'admin'],
  ['CreateCoupon', { input: { code: 'WELCOME10', type: 'PERCENTAGE', value: 1000, usageLimit: 100, perCustomerLimit: 1 } }, 'admin'],
  ['ApplyCoupon', { code: 'welcome10' }, 'customer'],
  ['CartEstimate', { shippingAddressId: '<id from AddAddress>', shippingMethodId: 'shp_express' }, 'customer'],
  // When Checkout answers PRICE_CHANGED: the current prices accepted (a repeat under the key accepts nothing more), then Checkout again.
  ['AcceptCartPrices', { idempotencyKey: 'accept-prices-1' }, 'customer'],
  ['Checkout', { idempotencyKey: 'my-first-order-1', shippingAddressId: '<id from AddAddress>', shippingMethodId: 'shp_express' }, 'customer'],
  ['OrderStatus', { orderId: '<id from Checkout>' }, 'customer'],
  ['OrderDetails', { id: '<id from Checkout>' }, 'customer'],
  ['MyOrders', {}, 'customer'],
  ['OrderHistory', {}, 'customer'],
  // Taking a line or the coupon out of a cart (checkout empties it: AddToCart first).
  ['RemoveFromCart', { productId: 'prod_0000001' }, 'customer'],
  ['RemoveCoupon', {}, 'customer'],
  // After payment: cancel until shipped (a paid order is refunded in full), or, once delivered, return.
  ['CancelOrder', { id: '<id from Checkout>' }, 'customer'],
  // A declined or cancelled order's items back in the cart (or buy again): a repeat adds nothing.
  ['AddOrderToCart', { orderId: '<id from Checkout>' }, 'customer'],
  ['ShipOrder', { id: '<id of a paid order>' }, 'admin'],
  ['DeliverOrder', { id: '<id of a shipped order>' }, 'admin'],
  ['RequestReturn', { orderId: '<id of a delivered order>', items: [{ variantId: '<variant id from OrderDetails>', quantity: 1 }], reason: 'Too small', idempotencyKey: 'my-first-return-1' }, 'customer'],
  ['ApproveReturn', { id: '<id from RequestReturn>' }, 'admin'],
  ['RejectReturn', { id: '<id from RequestReturn>', reason: 'Worn' }, 'admin'],
  ['RefundOrder', { id: '<id of a paid order>', amount: 500, reason: 'Late delivery', idempotencyKey: 'goodwill-1' }, 'admin'],
  ['OrderAfterSale', { id: '<id from Checkout>' }, 'customer'],
  // Admin tabs: a shipping method, and a product picture in two steps (PUT the bytes to the uploadUrl between them).
  ['CreateShippingMethod', { input: { name: 'Next day', price: 2499, currency: 'USD', countries: ['US'], minDeliveryDays: 1, maxDeliveryDays: 1 }, idempotencyKey: 'next-day-method-1' }, 'admin'],
  ['CreateImageUpload', { productId: 'prod_0000001', contentType: 'image/png', bytes: 1024 }, 'admin'],
  ['AttachProductImage', { productId: 'prod_0000001', uploadId: '<uploadId from CreateImageUpload>', alt: 'The charger, front view' }, 'admin'],
  // The links arrive by email: in development as files under .data/notifications.
  ['ResendVerificationEmail', {}, 'customer'],
  ['VerifyEmail', { token: '<token after #token= in the verification email>' }, 'anonymous'],
  ['RequestPasswordReset', { email: 'you@example.com' }, 'anonymous'],
  ['ResetPassword', { token: '<token after #token= in the reset email>', newPassword: 'a new password' }, 'anonymous'],
  // Last, as they end sessions: the admin's LogIn renewed, then that sign-in ended everywhere
  // (its refresh token and access tokens stop working; LogIn again to go on).
  ['RefreshSession', { refreshToken: '<refreshToken from LogIn>' }, 'anonymous'],
  ['LogOut', { refreshToken: '<refreshToken from RefreshSession>' }, 'anonymous'],
];

export function goldenTabs() {
  const operations = new Map(GOLDEN_OPERATIONS.map(({ name, query }) => [name, query]));
  const tabs = [];
  for (const [name, variables, runAs] of JOURNEY) {
    const query = operations.get(name);
    if (!query) continue;
    operations.delete(name);
    tabs.push({ query, variables: JSON.stringify(variables, null, 2), headers: HEADERS[runAs] });
  }
  // Golden operations not in the journey (back-office ones) follow, as the admin.
  for (const query of operations.values()) tabs.push({ query, variables: '{}', headers: ADMIN });
  return tabs;
}
