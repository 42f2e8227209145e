"""What a person does on a page, as the journeys do it: follow a link, pick in a select2 box, add
an inline row. Each waits on the page's state (a navigation, an element), never on a clock."""

from __future__ import annotations


def follow(page, selector: str) -> None:
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def choose_in_autocomplete(page, field: str, text: str) -> None:
    """Pick ``text`` in the admin's select2 box for ``field``, as a person does: open, type, click."""
    page.click(f".field-{field} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")
    page.wait_for_selector(f".field-{field} .select2-selection__rendered:has-text('{text}')")


def add_inline_row(page, group: str) -> int:
    """Click the inline's "Add another …" link; the new row's index."""
    index = page.locator(f"#{group}-group .dynamic-{group}").count()
    page.click(f"#{group}-group .add-row a")
    page.wait_for_selector(f"#{group}-{index}")
    return index
