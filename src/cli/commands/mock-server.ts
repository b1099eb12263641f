// `memsafe mock-server`: a local OpenAI- and Ollama-compatible server with deterministic answers, for demos and CI.
import { type Command, Option } from 'commander';
import { ExitCode, FatalError } from '../../errors.js';
import { action } from '../action.js';

export function registerMockServer(program: Command): void {
  program
    .command('mock-server')
    .description('Serve deterministic OpenAI (/v1/...) and Ollama (/api/...) answers on 127.0.0.1 until Ctrl-C')
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').default('8000'))
    .addOption(new Option('--latency <duration>', 'delay before each answer (e.g. 50ms)').default('0'))
    .addOption(new Option('--fail-rate <ratio>', 'fraction of requests answered with HTTP 500 (a retry of the same body can pass)').default('0'))
    .addOption(new Option('--response-bytes <size>', 'pad each chat answer to about this size (e.g. 64KB)'))
    .action(
      action(async (_options: unknown, command: Command) => {
        const { validateOptions } = await import('../../config/validate.js');
        const options = validateOptions(command, ({ z, fields }) =>
          z.object({
            port: fields.integer(0, 65_535),
            latency: fields.duration(),
            failRate: fields.ratio(),
            responseBytes: fields.bytes().optional(),
          }),
        );
        const { startMockServer } = await import('../../provider/mock-server.js');
        let server;
        try {
          server = await startMockServer({
            port: options.port,
            latencyMs: options.latency,
            failRate: options.failRate,
            responseBytes: options.responseBytes,
          });
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          throw new FatalError(`Cannot listen on 127.0.0.1:${options.port} (${String(code ?? error)})`, {
            code: 'MS_LISTEN',
            cause: error,
            ...(code === 'EADDRINUSE' ? { hint: 'The port is taken: pick another with --port (0 picks a free one).' } : {}),
          });
        }
        process.stderr.write(`mock server listening on ${server.url} (OpenAI base URL: ${server.url}/v1)\n`);
        await untilSignal();
        await server.close();
        return ExitCode.ok;
      }),
    );
}

/** Resolves at the first SIGINT or SIGTERM; a server is meant to be stopped that way. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
