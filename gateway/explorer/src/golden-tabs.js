/**
 * The explorer's opening tabs: the golden operations (schema/operations, injected at build
 * time as GOLDEN_OPERATIONS), in the order a customer meets them, each with example variables
 * and, where it needs a signed-in customer, the Authorization header template.
 */
/* global GOLDEN_OPERATIONS */

/** Replaced by the token of the last LogIn or SignUp run in this explorer (see explorer-entry.js). */
export const TOKEN_PLACEHOLDER = '<accessToken>';
const SIGNED_IN = JSON.stringify({ Authorization: `Bearer ${TOKEN_PLACEHOLDER}` }, null, 2);

const JOURNEY = [
  ['LogIn', { email: 'admin@storefront.test', password: 'admin-password-dev-only' }, false],
  ['SignUp', { input: { email: 'you@example.com', password: 'at least 8 characters', name: 'Your Name' } }, false],
  ['SearchProducts', { query: 'wireless headphones', sort: 'RELEVANCE' }, false],
  ['Autocomplete', { prefix: 'hea' }, false],
  ['Categories', {}, false],
  ['CategoryListing', { slug: 'electronics', first: 5 }, false],
  ['ProductPage', { id: 'prod_0000001' }, false],
  // Sent beside ProductPage (the query itself records nothing); TrendingProducts counts the views.
  ['RecordProductView', { productId: 'prod_0000001' }, false],
  ['TrendingProducts', { window: 'LAST_HOUR', first: 5 }, false],
  // A guest's cart: put the token in the headers as {"X-Cart-Token": "<token>"} for the cart tabs and LogIn/SignUp.
  ['CreateGuestCart', {}, false],
  ['AddToCart', { productId: 'prod_0000001', quantity: 1 }, true],
  ['UpdateCartItem', { productId: 'prod_0000001', quantity: 2 }, true],
  ['Cart', {}, true],
  ['Me', {}, true],
  ['AddAddress', { input: { recipientName: 'Your Name', line1: '1 Main Street', city: 'Springfield', region: 'IL', postalCode: '12345', country: 'US', makeDefault: true } }, true],
  ['ShippingMethods', { countryCode: 'US' }, false],
  // Admin tabs (LogIn as the admin): a tax rate and a coupon for the purchase below.
  ['SetTaxRate', { countryCode: 'US', region: 'IL', rateBasisPoints: 1000 }, true],
  ['CreateCoupon', { input: { code: 'WELCOME10', type: 'PERCENTAGE', value: 1000, usageLimit: 100, perCustomerLimit: 1 } }, true],
  ['ApplyCoupon', { code: 'welcome10' }, true],
  ['CartEstimate', { shippingAddressId: '<id from AddAddress>', shippingMethodId: 'shp_express' }, true],
  ['Checkout', { idempotencyKey: 'my-first-order-1', shippingAddressId: '<id from AddAddress>', shippingMethodId: 'shp_express' }, true],
  ['OrderStatus', { orderId: '<id from Checkout>' }, true],
  ['OrderDetails', { id: '<id from Checkout>' }, true],
  ['MyOrders', {}, true],
  ['OrderHistory', {}, true],
  // Taking a line or the coupon out of a cart (checkout empties it: AddToCart first).
  ['RemoveFromCart', { productId: 'prod_0000001' }, true],
  ['RemoveCoupon', {}, true],
  // After payment: cancel until shipped (a paid order is refunded in full), or, once delivered, return.
  ['CancelOrder', { id: '<id from Checkout>' }, true],
  ['ShipOrder', { id: '<id of a paid order>' }, true],
  ['DeliverOrder', { id: '<id of a shipped order>' }, true],
  ['RequestReturn', { orderId: '<id of a delivered order>', items: [{ variantId: '<variant id from OrderDetails>', quantity: 1 }], reason: 'Too small', idempotencyKey: 'my-first-return-1' }, true],
  ['ApproveReturn', { id: '<id from RequestReturn>' }, true],
  ['RejectReturn', { id: '<id from RequestReturn>', reason: 'Worn' }, true],
  ['RefundOrder', { id: '<id of a paid order>', amount: 500, reason: 'Late delivery', idempotencyKey: 'goodwill-1' }, true],
  ['OrderAfterSale', { id: '<id from Checkout>' }, true],
  ['RefreshSession', { refreshToken: '<refreshToken from LogIn>' }, false],
  // Ends that sign-in everywhere: its refresh token and access token stop working.
  ['LogOut', { refreshToken: '<refreshToken from LogIn>' }, false],
  // Admin tabs: a shipping method, and a product picture in two steps (PUT the bytes to the uploadUrl between them).
  ['CreateShippingMethod', { input: { name: 'Next day', price: 2499, currency: 'USD', countries: ['US'], minDeliveryDays: 1, maxDeliveryDays: 1 } }, true],
  ['CreateImageUpload', { productId: 'prod_0000001', contentType: 'image/png', bytes: 1024 }, true],
  ['AttachProductImage', { productId: 'prod_0000001', uploadId: '<uploadId from CreateImageUpload>', alt: 'The charger, front view' }, true],
  // The links arrive by email: in development as files under .data/notifications.
  ['ResendVerificationEmail', {}, true],
  ['VerifyEmail', { token: '<token after #token= in the verification email>' }, false],
  ['RequestPasswordReset', { email: 'you@example.com' }, false],
  ['ResetPassword', { token: '<token after #token= in the reset email>', newPassword: 'a new password' }, false],
];

export function goldenTabs() {
  const operations = new Map(GOLDEN_OPERATIONS.map(({ name, query }) => [name, query]));
  const tabs = [];
  for (const [name, variables, signedIn] of JOURNEY) {
    const query = operations.get(name);
    if (!query) continue;
    operations.delete(name);
    tabs.push({ query, variables: JSON.stringify(variables, null, 2), headers: signedIn ? SIGNED_IN : '' });
  }
  // Golden operations not in the journey (back-office ones) follow, signed in.
  for (const query of operations.values()) tabs.push({ query, variables: '{}', headers: SIGNED_IN });
  return tabs;
}
