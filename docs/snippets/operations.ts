// docs/operations.md
import { createServer } from "node:http";
import { getProjectionStatus } from "@streamstore/projections";
import { Redis } from "ioredis";
import { balances } from "./bank.js";

// #region health
const redis = new Redis(process.env.REDIS_URL as string);

createServer(async (_request, response) => {
  try {
    const status = await getProjectionStatus(balances, { redis, prefix: "bank" });
    const lag = status.partitions.reduce((sum, partition) => sum + partition.lag, 0);
    const failed = status.partitions.some((partition) => partition.state === "failed");
    response.writeHead(failed || status.workers.length === 0 ? 503 : 200, {
      "content-type": "application/json",
    });
    response.end(JSON.stringify({ ...status, lag }));
  } catch (error) {
    response.writeHead(503).end(String(error));
  }
}).listen(9464);
// #endregion
