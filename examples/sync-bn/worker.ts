// One rank: its own SyncBatchNorm and copy of the model, its rows of every minibatch.
import { parentPort, workerData } from "node:worker_threads";
import { SyncBatchNorm, SyncChannel, type SyncGroupHandle } from "../../src/index.js";
import type { Digits } from "../mnist/data.js";
import { HIDDEN, Model, train, type TrainConfig } from "./model.js";

export interface RankJob {
  handle: SyncGroupHandle;
  data: { train: Digits; test: Digits };
  config: TrainConfig;
}

export type RankMessage =
  | { kind: "loss"; step: number; loss: number }
  | { kind: "done"; rank: number; accuracy: number; params: Float32Array[] };

const { handle, data, config } = workerData as RankJob;
const post = (m: RankMessage) => parentPort!.postMessage(m);
const bn = new SyncBatchNorm(HIDDEN, { group: handle });
// The linear layers' gradients are summed over the ranks through the same group.
const channel = SyncChannel.join(handle);
const model = new Model(bn, config.seed);
train(model, data.train, config, handle.rank, (g) => channel.allReduce(g), (step, loss) => {
  if (handle.rank === 0 && (step % 50 === 0 || step === config.steps)) post({ kind: "loss", step, loss });
});
post({
  kind: "done", rank: handle.rank, accuracy: model.accuracy(data.test),
  params: [model.fc1.weight, model.fc2.weight, model.fc2.bias!, bn.weight!, bn.bias!, bn.runningMean!, bn.runningVar!],
});
