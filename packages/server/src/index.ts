export {
  type ActorRouteOptions,
  type ActorRouteReply,
  type ActorRouteRequest,
  type AskablePool,
  actorRoute,
} from './actor-route/actor-route.js';
export { ActorRouteReplyError, ActorRouteTimeoutError } from './actor-route/actor-route-errors.js';
export {
  App,
  type AppOptions,
  createApp,
  defaultErrorHandler,
  type ErrorHandler,
  type NotFoundHandler,
  type OnErrorHook,
  type OnRequestHook,
  type OnResponseHook,
  type OpenApiServeOptions,
  RouteGroup,
  type RouteMethod,
} from './app.js';
export type { MultipartPart } from './body/multipart.js';
export type { FormFields } from './body/parse-form.js';
export {
  type Client,
  type ClientResponse,
  type ClientTransport,
  createClient,
  type RequestArgs,
} from './client/create-client.js';
export type { RouteSpec, RoutesOf, WithRoute } from './client/route-spec.js';
export { compose, type Middleware, type Next } from './compose.js';
export {
  listenOptionsFromConfig,
  type PerformanceConfig,
  performanceConfigSchema,
  type ServerConfig,
  serverConfigSchema,
} from './config.js';
export { Context, type ContextState } from './context.js';
export type { CookieOptions } from './cookie.js';
export type { InjectOptions, InjectResult } from './engine-adapters/inject.js';
export * from './errors.js';
export type { AppListenOptions, Server } from './listen.js';
export { errorsOnlyLogger, type Logger, type LoggerOption } from './logger.js';
export { type CompressOptions, compress } from './middleware/compress/index.js';
export { type CorsOptions, cors } from './middleware/cors/index.js';
export { type EtagOptions, etag } from './middleware/etag/index.js';
export { type RequestIdOptions, requestId } from './middleware/request-id/index.js';
export {
  type DocumentedRoute,
  generateOpenApi,
  type OpenApiDocument,
  type OpenApiInfo,
  type OpenApiOperation,
  type OpenApiOptions,
} from './openapi/generate-openapi.js';
export type { JsonSchema } from './openapi/json-schema.js';
export type { PathParams } from './path-params.js';
export { PROBLEM_TYPE, type Problem } from './problem.js';
export { ZephyrRequest } from './request.js';
export { FileBody, type ResponseBody, type ResponseState, type StreamBody } from './response-state.js';
export type {
  Handler,
  HandlerResult,
  HeaderRecord,
  QueryRecord,
  RouteContext,
  RouteDocs,
  RouteOptions,
  RouteSchema,
} from './route-schema.js';
export type { RouteFound, RouteMatch, RouteMissed, Router } from './router/index.js';
export { RadixRouter } from './router/radix-router/index.js';
export { compileSerializer, type Serializer } from './serialize/compile-serializer.js';
export { type ServeStaticOptions, serveStatic } from './static/serve-static.js';
export {
  type RequestScope,
  type RequestTraceContext,
  requestChannel,
  requestEndChannel,
  requestScopeChannel,
} from './tracing-channels.js';
export {
  CLOSE_INVALID_MESSAGE,
  type MessageIssue,
  WebSocketMessageError,
} from './websocket/message-error.js';
export type { PublishRelay } from './websocket/publish-relay.js';
export type { WebSocketMessage, WebSocketRouteOptions } from './websocket/websocket-routes.js';
export { type WebSocketData, ZephyrWebSocket } from './websocket/zephyr-websocket.js';
