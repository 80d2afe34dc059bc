// The Jaeger the end-to-end tests share (the playground's too) lives beside scripts/jaeger.sh.
export {
  type Jaeger,
  type JaegerSpan,
  type JaegerTrace,
  startJaeger,
  waitForTrace,
} from '../../../../scripts/jaeger-server.mjs';
