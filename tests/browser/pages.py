"""What every browser test does to a JupyterLab page: wait for the kernel, use the menus."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["COURSE", "KERNEL_READY_INIT_JS", "ROOT", "TIMEOUT_MS", "menu"]

#: The repository, and its course notebooks (the browser tests open copies of them).
ROOT = Path(__file__).resolve().parents[2]
COURSE = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))

#: The longest any single wait may take (a safety net: waits are for conditions).
TIMEOUT_MS = 30_000

# The notebook's execution indicator reads "idle" before any kernel exists, and
# Run All then runs nothing.  This script (run before the page's own) notes
# when the indicator has gone through a kernel's start-up and back to idle.
KERNEL_READY_INIT_JS = """
new MutationObserver(() => {
  const status = document.querySelector(".jp-Notebook-ExecutionIndicator")?.dataset.status;
  if (status && status !== "idle") window.__llKernelSeen = true;
  if (window.__llKernelSeen && status === "idle") window.__llKernelReady = true;
}).observe(document, { attributes: true, childList: true, subtree: true,
                       attributeFilter: ["data-status"] });
"""


def menu(page, top: str, *items: str) -> None:
    """Click ``top`` in the menu bar, then ``items`` (submenus hovered, the last clicked)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    for item in items[:-1]:
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{items[-1]}$")).click()
