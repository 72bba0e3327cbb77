import { useEffect, useState } from "preact/hooks";
import { client, onSessionChange } from "./storefront-client.js";
import { href, useRoute, type Route } from "./route.js";
import { usePageAnnouncer } from "./page-announcer.js";
import { SearchBox } from "./search-box.js";
import { HomePage } from "./pages/home-page.js";
import { ListingPage } from "./pages/listing-page.js";
import { CategoryPage } from "./pages/category-page.js";
import { ProductPage } from "./pages/product-page.js";
import { CartPage } from "./pages/cart-page.js";
import { AccountPage } from "./pages/account-page.js";
import { CheckoutPage } from "./pages/checkout-page.js";
import { OrderPage } from "./pages/order-page.js";
import { ForgotPasswordPage } from "./pages/forgot-password-page.js";
import { ResetPasswordPage } from "./pages/reset-password-page.js";
import { VerifyEmailPage } from "./pages/verify-email-page.js";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "home":
      return <HomePage />;
    case "category":
      return <CategoryPage key={route.name} category={route.name} />;
    case "search":
      return <ListingPage key={route.query} query={route.query} />;
    case "product":
      return <ProductPage key={route.id} id={route.id} />;
    case "cart":
      return <CartPage />;
    case "account":
      return <AccountPage key={route.mode ?? "signUp"} next={route.next} mode={route.mode} />;
    case "forgot-password":
      return <ForgotPasswordPage />;
    case "reset-password":
      return <ResetPasswordPage token={route.token} />;
    case "verify-email":
      return <VerifyEmailPage token={route.token} />;
    case "checkout":
      return <CheckoutPage />;
    case "order":
      return <OrderPage key={route.id} id={route.id} />;
  }
}

export function App() {
  const route = useRoute();
  usePageAnnouncer(route);
  const [signedIn, setSignedIn] = useState(Boolean(client.session));
  useEffect(() => onSessionChange(() => setSignedIn(Boolean(client.session))), []);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.home()}>
          Storefront
        </a>
        <SearchBox key={route.page === "search" ? route.query : "search"} initial={route.page === "search" ? route.query : ""} />
        <nav aria-label="Account">
          <a href={href.cart()}>Cart</a>
          <a href={signedIn ? href.account() : href.logIn()}>{signedIn ? "Account" : "Sign in"}</a>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}
