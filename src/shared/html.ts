import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fastifyView from '@fastify/view'
import fastifyStatic from '@fastify/static'
import { Eta } from 'eta'
import type { RoleName } from './roles.js'
import { securityHeaders } from './security-headers.js'
import { serverBanner, STEP_COUNT } from './server-banner.js'

// Same depth from src/shared and dist/shared, so both find the repo's folders.
export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url))
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url))

/**
 * HTML pages for a role: Eta templates (auto-escaped), the lab's stylesheet
 * served locally (no CDN: the lab is offline), and security headers. With
 * `server`, every page's banner names the server (views/banner.eta); a page
 * names its step with `layout('/layout', { step: n })`.
 */
export async function registerHtml(
  app: FastifyInstance,
  opts: { labName: string; server?: { role: RoleName; publicUrl: string } },
): Promise<void> {
  // RFC 9700 §4.16: login, consent and grants pages MUST NOT be framed;
  // §4.2.4: no third-party resources and no Referer leaking codes or state.
  await app.register(securityHeaders, {
    helmet: {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          // No form-action: Chromium applies it to the redirect that follows a
          // form post, and consent posts end in a redirect to the client.
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // Plain http on localhost (see README, "no TLS"): no HSTS, no upgrades.
      strictTransportSecurity: false,
      crossOriginOpenerPolicy: false,
      crossOriginEmbedderPolicy: false,
    },
  })
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/assets/', decorateReply: false })
  await app.register(fastifyView, {
    engine: { eta: new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true }) },
    root: VIEWS_DIR,
    production: true,
    defaultContext: {
      labName: opts.labName,
      ...(opts.server
        ? { labServer: { ...serverBanner(opts.server.role, opts.server.publicUrl), steps: STEP_COUNT } }
        : {}),
    },
  })
}

/** The role's HTML error page (views/error.eta); never cached, since it may echo a request. */
export function renderErrorPage(
  reply: FastifyReply,
  status: number,
  page: { title: string; message: string; detail?: string; backUrl?: string },
): Promise<string> {
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('error', page)
}
