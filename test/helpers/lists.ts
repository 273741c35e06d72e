// With noUncheckedIndexedAccess a list item may be undefined. Tests read items
// through these, which fail naming what was missing rather than with
// "cannot read properties of undefined" a few lines further on.

/** `value`, or an error naming `what` when it is undefined. */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}, found none`)
  return value
}

/** The item at `index` (negative counts from the end), or an error naming `what`. */
export function at<T>(list: readonly T[] | undefined, index: number, what = `item ${index}`): T {
  if (list === undefined) throw new Error(`expected ${what}, but there is no list`)
  if (index >= list.length || index < -list.length) {
    throw new Error(`expected ${what}, but the list has ${list.length} item(s)`)
  }
  return list.at(index) as T
}

/** The first item of `list`, or an error naming `what`. */
export function first<T>(list: readonly T[] | undefined, what = 'a first item'): T {
  return at(list, 0, what)
}
