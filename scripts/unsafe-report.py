#!/usr/bin/env python3
"""How much of the kernel is unsafe Rust: unsafe lines per file and per
1000 code lines. Run by `make unsafe-report`; plain Python 3, no packages.

The count, precisely:
- A *code line* is a source line that still has text after comments are
  removed (`//` to end of line, `/* ... */` nested, doc comments too) and
  blank lines are dropped. String and char literals are code; a `//` or
  a brace inside one is not taken for a comment or a brace.
- An *unsafe region* runs from the `unsafe` keyword to the `}` that
  closes its body, for each of: an unsafe block (`unsafe { ... }`), an
  unsafe fn (`unsafe fn f(..) { ... }`, signature included), an unsafe
  impl (`unsafe impl .. { ... }`), an unsafe trait and an unsafe extern
  block. A bodiless `unsafe fn f(..);` is a region up to its `;`.
- An *unsafe line* is a code line any part of which lies in an unsafe
  region; so the `unsafe {` line itself counts, and a line is counted
  once however many regions (nested or side by side) touch it.
- `unsafe` used as an attribute (`#[unsafe(no_mangle)]`) marks no region.
- The rate is unsafe lines per 1000 code lines, over all files given.

Usage: unsafe-report.py [--regions] [--max RATE] FILE_OR_DIR...
  --regions  also list each region (file:first-last, unsafe lines)
  --max      exit 1 when the total rate is above RATE
"""

import os
import sys


def mask_source(text):
    """Returns (code, literal): `code` is `text` with every comment
    character replaced by a space (newlines kept), `literal` marks the
    positions inside string and char literals."""
    out = list(text)
    lit = [False] * len(text)
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "rb" and raw_string_at(text, i):
            j = raw_string_end(text, i)
            mark(lit, i, j)
            i = j
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            mark(lit, i, j + 1)
            i = j + 1
        elif c == "'" or (c == "b" and text.startswith("b'", i)):
            j = char_end(text, i + (2 if c == "b" else 1))
            if j is None:  # a lifetime or label, not a char
                i += 1
            else:
                mark(lit, i, j)
                i = j
        elif c.isalnum() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            i = j
        else:
            i += 1
    return "".join(out), lit


def mark(lit, a, b):
    for k in range(a, min(b, len(lit))):
        lit[k] = True


def raw_string_at(text, i):
    j = i + 1 if text[i] == "r" else (i + 2 if text.startswith("br", i) else -1)
    if j < 0 or (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
        return False
    while j < len(text) and text[j] == "#":
        j += 1
    return j < len(text) and text[j] == '"'


def raw_string_end(text, i):
    j = text.index("r", i) + 1
    hashes = 0
    while text[j] == "#":
        hashes, j = hashes + 1, j + 1
    end = text.find('"' + "#" * hashes, j + 1)
    return len(text) if end < 0 else end + 1 + hashes


def char_end(text, j):
    """End of a char literal whose body starts at j, or None (lifetime)."""
    if j < len(text) and text[j] == "\\":
        k = text.find("'", j + 2)
        return None if k < 0 else k + 1
    if j + 1 < len(text) and text[j + 1] == "'":
        return j + 2
    return None


def is_word_at(code, lit, i, word):
    if not code.startswith(word, i) or lit[i]:
        return False
    before = code[i - 1] if i else " "
    after = code[i + len(word)] if i + len(word) < len(code) else " "
    ident = lambda ch: ch.isalnum() or ch == "_"
    return not ident(before) and not ident(after)


def skip_space(code, i):
    while i < len(code) and code[i].isspace():
        i += 1
    return i


def matching_brace(code, lit, i):
    """Index of the `}` closing the `{` at i."""
    depth = 0
    for k in range(i, len(code)):
        if lit[k]:
            continue
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    raise ValueError("unbalanced braces")


def regions(code, lit):
    """(start, end) character spans of every unsafe region."""
    spans = []
    i = code.find("unsafe")
    while i >= 0:
        if is_word_at(code, lit, i, "unsafe"):
            j = skip_space(code, i + len("unsafe"))
            if j < len(code) and code[j] == "{":
                spans.append((i, matching_brace(code, lit, j)))
            elif any(is_word_at(code, lit, j, w) for w in ("fn", "impl", "trait", "extern")):
                # The body: the first `{` (or a `;`) outside the signature's
                # brackets. Generic bounds hold no braces in this kernel.
                depth, k = 0, j
                while k < len(code):
                    ch = code[k]
                    if lit[k]:
                        pass
                    elif ch in "([":
                        depth += 1
                    elif ch in ")]":
                        depth -= 1
                    elif depth == 0 and ch == ";":
                        spans.append((i, k))
                        break
                    elif depth == 0 and ch == "{":
                        spans.append((i, matching_brace(code, lit, k)))
                        break
                    k += 1
        i = code.find("unsafe", i + 1)
    return spans


def count_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    code, lit = mask_source(text)
    lines = code.split("\n")
    code_lines = {n for n, line in enumerate(lines) if line.strip()}
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def line_of(pos):
        lo, hi = 0, len(starts) - 1
        while lo < hi - 1:
            mid = (lo + hi) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid
        return lo

    unsafe_lines = set()
    found = []
    for a, b in regions(code, lit):
        la, lb = line_of(a), line_of(b)
        span = {n for n in range(la, lb + 1) if n in code_lines}
        unsafe_lines |= span
        found.append((la + 1, lb + 1, len(span)))
    return len(code_lines), len(unsafe_lines), found


def rust_files(args):
    for arg in args:
        if os.path.isdir(arg):
            for root, _, names in os.walk(arg):
                for name in sorted(names):
                    if name.endswith(".rs"):
                        yield os.path.join(root, name)
        else:
            yield arg


def main(argv):
    show_regions = "--regions" in argv
    argv = [a for a in argv if a != "--regions"]
    limit = None
    if "--max" in argv:
        k = argv.index("--max")
        limit = float(argv[k + 1])
        del argv[k : k + 2]
    if not argv:
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    rows = [(p, *count_file(p)) for p in sorted(rust_files(argv))]
    total_code = sum(r[1] for r in rows)
    total_unsafe = sum(r[2] for r in rows)
    width = max(len(r[0]) for r in rows)
    print(f"{'file':<{width}}  {'code':>5}  {'unsafe':>6}  {'per kLoC':>8}")
    for path, code_n, unsafe_n, found in rows:
        rate = 1000 * unsafe_n / code_n if code_n else 0
        print(f"{path:<{width}}  {code_n:>5}  {unsafe_n:>6}  {rate:>8.1f}")
        if show_regions:
            for a, b, n in found:
                print(f"    {path}:{a}-{b}  {n}")
    rate = 1000 * total_unsafe / total_code if total_code else 0
    print(f"{'total':<{width}}  {total_code:>5}  {total_unsafe:>6}  {rate:>8.1f}")
    if limit is not None and rate > limit:
        print(f"unsafe-report: {rate:.1f} unsafe lines per kLoC, over the budget of {limit}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
