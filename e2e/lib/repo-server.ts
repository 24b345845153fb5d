/**
 * Program: a static HTTP server for the test network's apt repository, run inside the namespace by
 * the e2e runner. Serves GET/HEAD of files under --root only, logs every request as a JSON line
 * (time, client address, method, path, status) to --log, prints "listening" when ready, and ends on
 * SIGTERM. Usage: node --require tsx/cjs e2e/lib/repo-server.ts --root DIR --host ADDR --port N --log FILE
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

export function resolveRequestPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split("?")[0]);
  } catch {
    return undefined;
  }
  const normal = path.posix.normalize(`/${decoded}`);
  const file = path.join(root, normal);
  return file === root || file.startsWith(`${root}${path.sep}`) ? file : undefined;
}

function argValue(argv: string[], name: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (!v)
    throw new Error(
      `repo-server: missing ${name}; usage: repo-server --root DIR --host ADDR --port N --log FILE`,
    );
  return v;
}

function main(argv: string[]): void {
  const root = path.resolve(argValue(argv, "--root"));
  const host = argValue(argv, "--host");
  const port = Number(argValue(argv, "--port"));
  const logFile = argValue(argv, "--log");
  const server = http.createServer((req, res) => {
    const file =
      req.method === "GET" || req.method === "HEAD" ? resolveRequestPath(root, req.url ?? "/") : undefined;
    let status = 404;
    if (file && fs.existsSync(file) && fs.statSync(file).isFile()) {
      status = 200;
      res.writeHead(200, {
        "content-length": fs.statSync(file).size,
        "content-type": "application/octet-stream",
      });
      if (req.method === "GET") fs.createReadStream(file).pipe(res);
      else res.end();
    } else {
      res.writeHead(req.method === "GET" || req.method === "HEAD" ? 404 : 405);
      res.end();
    }
    fs.appendFileSync(
      logFile,
      `${JSON.stringify({ time: new Date().toISOString(), client: req.socket.remoteAddress, method: req.method, path: req.url, status })}\n`,
    );
  });
  server.listen(port, host, () => process.stdout.write(`listening http://${host}:${port}/\n`));
  process.once("SIGTERM", () => {
    // apt keeps connections open; close them, or close() would wait for them.
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

if (require.main === module) main(process.argv.slice(2));
