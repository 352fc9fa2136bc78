"""The PyTorch U-ViT of the reference fixtures (gen_uvit.py): the model classes are
vdmc's one PyTorch implementation, python/vdmc_torch.py (NCHW, stock torch ops: Conv2d,
Linear, F.layer_norm, F.gelu, F.interpolate; the residual block, sinusoidal embedding and
class table are the U-Net's; nothing is shared with the C code).
Architecture (docs/uvit.md): conv down stages of ADM res blocks with stride-2 conv
down-samplers, a pre-LN transformer on the lowest-resolution tokens whose two halves
use adaLN (LayerNorm without affine, x*(1+scale)+shift from the embedding), conv up
stages (nearest x2 + conv3x3, then res blocks on [h | skip]), GN-SiLU-conv head.
Parameter names equal the C names; unet_ref.to_c_layout converts tensors.
"""
from unet_ref import to_c_layout  # noqa: F401  (also puts python/ on the path)
from vdmc_torch import UViT, UViTConfig, XfmrAttn, XfmrMlp  # noqa: F401


def uvit_small():
    """src/models/uvit_config.c: uvit_config_small (the bench_step model)."""
    return UViTConfig(resolution=64, stage_channels=[32, 64], stage_res_blocks=[2, 2],
                      emb_channels=128, width=256, depth=4, heads=4, mlp_ratio=4,
                      xfmr_dropout=0.2, num_classes=1000, norm_groups=32)
