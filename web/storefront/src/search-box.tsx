import { useEffect, useRef, useState } from "preact/hooks";
import { AutocompleteDocument, type AutocompleteQuery } from "../../../clients/typescript/src/index.js";
import { client } from "./storefront-client.js";
import { href, navigate } from "./route.js";
import { SEARCH_QUERY_MAX_LENGTH } from "./search-words.js";

type Suggestion = AutocompleteQuery["autocomplete"][number];

/** Where a suggestion leads: its product, its category's listing, or a search for its brand. */
function destination(suggestion: Suggestion): string {
  if (suggestion.product) return href.product(suggestion.product.id);
  if (suggestion.category) return href.category(suggestion.category);
  return href.search(suggestion.brand ?? suggestion.text);
}

const KIND_LABEL: Record<Suggestion["kind"], string | null> = { PRODUCT: null, CATEGORY: "Category", BRAND: "Brand" };

/**
 * Search with suggestions as you type: a WAI-ARIA combobox. Arrow keys move through the
 * suggestions (products, categories and brands), Enter opens the chosen one (or searches the
 * text), Escape closes the list.
 *
 * Suggestions are asked for only for words the shopper typed here, and shown only while the
 * box has focus: the box is mounted again with the words of every results page, and asking for
 * those opened the list over the page's sort and filters, where a tap beside it could not close
 * it (the box never had focus to lose).
 */
export function SearchBox({ initial = "" }: { initial?: string }) {
  const [text, setText] = useState(initial);
  const [suggestions, setSuggestions] = useState<AutocompleteQuery["autocomplete"]>([]);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState(false);
  const latest = useRef(0);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const prefix = text.trim();
    if (!typed || prefix.length < 2) {
      setSuggestions([]);
      return;
    }
    const round = ++latest.current;
    const timer = setTimeout(() => {
      client.request(AutocompleteDocument, { prefix }).then(
        ({ autocomplete }) => {
          if (round !== latest.current) return;
          setSuggestions(autocomplete);
          setActive(-1);
          setOpen(autocomplete.length > 0 && document.activeElement === input.current);
        },
        () => setSuggestions([]),
      );
    }, 120);
    return () => clearTimeout(timer);
  }, [text, typed]);

  /** Closes the list, and keeps an answer still on its way from opening it again. */
  const close = () => {
    latest.current++;
    setOpen(false);
  };

  const choose = (index: number) => {
    const suggestion = suggestions[index];
    close();
    if (suggestion) navigate(destination(suggestion));
  };

  return (
    <form
      class="search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        if (open && active >= 0) return choose(active);
        close();
        navigate(href.search(text.trim()));
      }}
    >
      <label for="search-input" class="visually-hidden">
        Search products
      </label>
      <input
        id="search-input"
        ref={input}
        type="search"
        placeholder="Search products"
        autocomplete="off"
        maxLength={SEARCH_QUERY_MAX_LENGTH}
        role="combobox"
        list={undefined}
        aria-expanded={open}
        aria-controls="search-suggestions"
        aria-autocomplete="list"
        aria-activedescendant={open && active >= 0 ? `suggestion-${active}` : undefined}
        value={text}
        onInput={(event) => {
          setTyped(true);
          setText((event.target as HTMLInputElement).value);
        }}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown" && suggestions.length) {
            event.preventDefault();
            setOpen(true);
            setActive((index) => (index + 1) % suggestions.length);
          } else if (event.key === "ArrowUp" && suggestions.length) {
            event.preventDefault();
            setActive((index) => (index <= 0 ? suggestions.length - 1 : index - 1));
          } else if (event.key === "Escape") {
            close();
          }
        }}
        onBlur={() => setTimeout(close, 150)}
      />
      <button type="submit">Search</button>
      {open && (
        <ul id="search-suggestions" role="listbox" aria-label="Suggestions">
          {suggestions.map((suggestion, index) => (
            <li
              key={`${suggestion.kind}:${suggestion.text}`}
              id={`suggestion-${index}`}
              role="option"
              aria-selected={index === active}
              onMouseDown={(event) => {
                event.preventDefault();
                choose(index);
              }}
            >
              {KIND_LABEL[suggestion.kind] && <span class="suggestion-kind">{KIND_LABEL[suggestion.kind]}: </span>}
              {suggestion.text}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
