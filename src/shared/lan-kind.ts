// The kind of the `lan` setting (settings.ts): `on`, `off`, an IPv4 address
// or an interface name. Which address it comes to is decided at start (lan.ts).

import type { Kind } from './setting-kinds.js'

const LAN_VALUE = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'

export const LAN_KIND: Kind<string> = {
  schema: { type: 'string', pattern: LAN_VALUE },
  parse: (raw) =>
    new RegExp(LAN_VALUE).test(raw)
      ? { value: raw }
      : { problem: 'must be on, off, an IPv4 address or an interface name (e.g. eth0)' },
}
