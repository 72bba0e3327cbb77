import { createElement as h } from 'react';

const code = (text) => h('code', null, text);

/** The short guide the explorer opens with: what a first-time client developer needs to know. */
function Guide() {
  return h(
    'div',
    { className: 'storefront-guide' },
    h('div', { className: 'graphiql-doc-explorer-title' }, 'Start here'),
    h('p', null, 'Each tab above is one of the operations our apps ship with (', code('schema/operations'), '), with example variables. Run one with Ctrl-Enter or the play button.'),
    h('p', null, 'Run them in order. A variable such as ', code('"<id from AddAddress>"'), ' is yours to fill: paste the id that tab answered (only the tokens, ', code('<accessToken>'), ' and ', code('<adminAccessToken>'), ', are filled in for you).'),
    h('h3', null, '1. Log in'),
    h(
      'p',
      null,
      'Run the ', code('LogIn'), ' tab (development admin: ', code('admin@storefront.test'), ' / ', code('admin-password-dev-only'),
      '; development customer: ', code('customer@storefront.test'), ' / ', code('customer-password-dev-only'),
      ') or ', code('SignUp'), '. Tabs that need a customer carry the header ', code('{"Authorization": "Bearer <accessToken>"}'),
      ': the explorer puts the token of your last LogIn or SignUp in place of ', code('<accessToken>'),
      ' (in memory only). Admin tabs (', code('SetTaxRate'), ', ', code('ShipOrder'), ', ', code('ApproveReturn'), ', ...) carry ', code('<adminAccessToken>'),
      ' instead: the token of the last admin who logged in here, so after LogIn as the admin and SignUp as a customer each tab runs as the account it needs. Paste another token there to act as someone else. Access tokens are short-lived: ',
      code('RefreshSession'), ' trades the refresh token for new ones.',
    ),
    h(
      'p',
      null,
      'Shopping without an account: ', code('CreateGuestCart'), ' returns a token; put ', code('{"X-Cart-Token": "<token>"}'),
      ' in the headers of the cart tabs instead of the Authorization header. Send it with ', code('LogIn'), ' or ', code('SignUp'),
      ' too and the guest cart merges into the customer\'s cart. Guests cannot check out.',
    ),
    h('h3', null, '2. Money is in minor units'),
    h('p', null, 'Every ', code('amount'), ' is an integer in the currency\'s minor unit: ', code('{"amount": 1999, "currency": "USD"}'), ' is $19.99. Never floats.'),
    h('h3', null, '3. Idempotency keys'),
    h(
      'p',
      null,
      code('checkout(idempotencyKey)'), ' places at most one order per key: sending it again with the same key (after a timeout, say) returns the same order. Use a new key for each purchase attempt, and keep it until you get an answer. One cart becomes at most one order, whatever the keys.',
    ),
    h(
      'p',
      null,
      'Checkout also names the address (', code('shippingAddressId'), ' from ', code('AddAddress'), ', or a typed ', code('shippingAddress'), ') and a ', code('shippingMethodId'), ' from ', code('ShippingMethods'),
      '. You never send a price: ', code('CartEstimate'), ' shows subtotal, discount (', code('ApplyCoupon'), '), shipping and tax, and checkout charges exactly that.',
    ),
    h('h3', null, '4. Following an order'),
    h(
      'p',
      null,
      'The ', code('OrderStatus'), ' subscription (WebSocket, same URL, same header) first sends the order as it is now, then each change. It stays open after ', code('PAID'),
      ' and after ', code('DELIVERED'), ' (a return may follow), and ends only at a final status: ', code('CANCELLED'), ', ', code('PAYMENT_FAILED'), ' or ', code('REFUNDED'), '. Just before ', code('PAID'),
      ' you may see the order ', code('PENDING'), ' with its payment ', code('SUCCEEDED'), ': the money is captured and the order is being confirmed. ',
      code('CancelOrder'), ' works until the order ships (a paid order is refunded in full); once it is delivered, ', code('RequestReturn'),
      ' asks to send units back, an admin runs ', code('ApproveReturn'), ', and ', code('OrderAfterSale'), ' shows the refund until the provider has paid it. ',
      code('AddOrderToCart'), ' puts an order\'s items back in the cart (a declined payment, a cancel, or buying again); running it twice adds nothing.',
    ),
    h('h3', null, '5. Errors'),
    h('p', null, 'Errors carry a stable ', code('extensions.code'), ' (', code('UNAUTHENTICATED'), ', ', code('OUT_OF_STOCK'), ', ', code('RATE_LIMITED'), ' with ', code('retryAfterSeconds'), ', ...). The book icon opens the schema docs.'),
  );
}

function GuideIcon() {
  return h('span', { 'aria-hidden': 'true', style: { fontWeight: 700, fontSize: '1.1em' } }, '?');
}

export const guidePlugin = { title: 'Guide', icon: GuideIcon, content: Guide };
