// Error pages of the client app: one helper, and handlers that never leak a stack trace.

import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { renderErrorPage } from '../shared/html.js'

/** Renders views/error.eta with the given status. Pages may show secrets' context: never cache them. */
export function renderError(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  detail?: string,
): Promise<string> {
  return renderErrorPage(reply, status, { title, message, detail, backUrl: '/' })
}

function isCsrfError(error: FastifyError): boolean {
  return error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN'
}

/** HTML for every error: CSRF 403, schema 400, other 4xx as such, anything else a bare 500. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (isCsrfError(error)) {
      return renderError(
        reply,
        403,
        'Forbidden',
        'The form’s CSRF token is missing or does not belong to your session, so the request was refused.',
        'Go back to the home page, reload it and use the button there again.',
      )
    }
    if (error.validation) {
      return renderError(
        reply,
        400,
        'Bad request',
        `The request’s parameters are not valid: ${error.message}.`,
        'Each parameter must appear at most once (RFC 6749 §3.1).',
      )
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return renderError(reply, status, STATUS_CODES[status] ?? 'Bad request', error.message)
    }
    request.log.error({ err: error }, 'unhandled error')
    return renderError(
      reply,
      500,
      'Something went wrong',
      'The client app hit an unexpected error; its log has the details.',
    )
  })
  app.setNotFoundHandler(async (_request, reply) =>
    renderError(reply, 404, 'Not found', 'The client app has no page at this address.'),
  )
}
