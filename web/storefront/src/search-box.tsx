import { useEffect, useRef, useState } from "preact/hooks";
import { AutocompleteDocument, type AutocompleteQuery } from "../../../clients/typescript/src/index.js";
import { client } from "./storefront-client.js";
import { href, navigate } from "./route.js";

/**
 * Search with suggestions as you type: a WAI-ARIA combobox. Arrow keys move through the
 * suggestions, Enter opens the chosen product (or searches the text), Escape closes the list.
 */
export function SearchBox({ initial = "" }: { initial?: string }) {
  const [text, setText] = useState(initial);
  const [suggestions, setSuggestions] = useState<AutocompleteQuery["autocomplete"]>([]);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const latest = useRef(0);

  useEffect(() => {
    const prefix = text.trim();
    if (prefix.length < 2) {
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
          setOpen(autocomplete.length > 0);
        },
        () => setSuggestions([]),
      );
    }, 120);
    return () => clearTimeout(timer);
  }, [text]);

  const choose = (index: number) => {
    const suggestion = suggestions[index];
    setOpen(false);
    if (suggestion) navigate(href.product(suggestion.product.id));
  };

  return (
    <form
      class="search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        if (open && active >= 0) return choose(active);
        setOpen(false);
        navigate(href.search(text.trim()));
      }}
    >
      <label for="search-input" class="visually-hidden">
        Search products
      </label>
      <input
        id="search-input"
        type="search"
        placeholder="Search products"
        autocomplete="off"
        role="combobox"
        list={undefined}
        aria-expanded={open}
        aria-controls="search-suggestions"
        aria-autocomplete="list"
        aria-activedescendant={open && active >= 0 ? `suggestion-${active}` : undefined}
        value={text}
        onInput={(event) => setText((event.target as HTMLInputElement).value)}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown" && suggestions.length) {
            event.preventDefault();
            setOpen(true);
            setActive((index) => (index + 1) % suggestions.length);
          } else if (event.key === "ArrowUp" && suggestions.length) {
            event.preventDefault();
            setActive((index) => (index <= 0 ? suggestions.length - 1 : index - 1));
          } else if (event.key === "Escape") {
            setOpen(false);
          }
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <button type="submit">Search</button>
      {open && (
        <ul id="search-suggestions" role="listbox" aria-label="Suggestions">
          {suggestions.map((suggestion, index) => (
            <li
              key={suggestion.product.id + index}
              id={`suggestion-${index}`}
              role="option"
              aria-selected={index === active}
              onMouseDown={(event) => {
                event.preventDefault();
                choose(index);
              }}
            >
              {suggestion.text}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
