"""PyTorch DistributedDataParallel baseline of profiling/bench_train.sh: the same
default U-Net (tests/reference/unet_ref.py), gloo backend, the same global batch
split over the ranks, eps-prediction MSE step with Adam. Exits 0 with a message
when torch is missing. Last line of rank 0: "RESULT img_per_s=<x>".

usage: /usr/bin/python3 profiling/bench_train_torch.py RANKS GLOBAL_BATCH STEPS THREADS_PER_RANK
"""
import os
import sys
import time

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
except ImportError:
    print("bench_train_torch: torch not installed (use /usr/bin/python3 with python3-torch); skipped")
    sys.exit(0)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from unet_ref import UNet, fmnist_default  # noqa: E402


def worker(rank, world, batch, steps, threads, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = fmnist_default()
    model = torch.nn.parallel.DistributedDataParallel(UNet(cfg).float().train())
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    b = batch // world
    R = cfg.resolution
    x = torch.rand(b, cfg.in_channels, R, R) * 2 - 1
    eps = torch.randn(b, cfg.in_channels, R, R)
    lam = torch.rand(b) * 40 - 20
    labels = torch.arange(b) % (cfg.num_classes + 1)
    total = 0.0
    for s in range(steps + 1):  # step 0 is a warm-up
        dist.barrier()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        a = torch.sigmoid(lam).sqrt().view(-1, 1, 1, 1)
        sg = torch.sigmoid(-lam).sqrt().view(-1, 1, 1, 1)
        loss = 0.5 * ((model(a * x + sg * eps, lam, labels) - eps) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dist.barrier()
        if s:
            total += time.perf_counter() - t0
    if rank == 0:
        ips = batch * steps / total
        print(f"bench_train_torch: torch {torch.__version__} DDP gloo, {world} ranks x {threads} threads, "
              f"global batch {batch}, {steps} steps: {total / steps:.3f} s/step, {ips:.2f} img/s")
        print(f"RESULT img_per_s={ips:.4f}")
    dist.destroy_process_group()


def main():
    world, batch, steps, threads = (int(a) for a in sys.argv[1:5])
    port = 29500 + os.getpid() % 1000
    mp.spawn(worker, args=(world, batch, steps, threads, port), nprocs=world, join=True)


if __name__ == "__main__":
    main()
