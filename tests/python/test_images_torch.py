"""Image files against PyTorch: HWC arrays saved by numpy (np.savez and
np.savez_compressed) and opened with ``?layout=hwc`` give exactly the rows of
``torch.from_numpy(X).permute(0, 3, 1, 2).reshape(n, -1)``, per-channel
statistics are those of ``X.mean/std(dim=(0, 1, 2))`` (population std) and
normalized inputs are torchvision's Normalize; an npzdir of such parts gives
batch t = rows [t*B, t*B + B) of the parts concatenated, across the part
boundary and again after the pass."""

import os
import tempfile
import unittest

import _support  # noqa: F401
import richeta

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover - depends on the environment
    torch = None
    _skip_reason = "torch/numpy not importable (%s): cross-check skipped" % e
else:
    _skip_reason = ""


@unittest.skipIf(torch is None, _skip_reason)
class HwcAgainstTorch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        rng = np.random.default_rng(11)
        self.X = rng.integers(0, 256, (5, 6, 7, 3), dtype=np.uint8)
        self.Y = np.arange(5, dtype=np.int64) % 4

    def tearDown(self):
        self.tmp.cleanup()

    def chw_rows(self, X):
        return torch.from_numpy(X).permute(0, 3, 1, 2).reshape(X.shape[0], -1).double().numpy()

    def test_rows_are_torch_permute_0312_for_stored_and_deflated_npz(self):
        for save in (np.savez, np.savez_compressed):
            path = os.path.join(self.dir, save.__name__ + ".npz")
            save(path, X=self.X, Y=self.Y)
            ds = richeta.Dataset("npz:%s?layout=hwc" % path)
            self.assertEqual(ds.sample_shape, (3, 6, 7))
            self.assertEqual(ds.num_channels, 3)
            want = self.chw_rows(self.X)
            for i in range(5):
                got = np.asarray(ds.get_input(i))
                self.assertTrue(np.array_equal(got, want[i]), (save.__name__, i))
            # one pixel by hand: X[3, 4, 5, 2] sits at 2*42 + 4*7 + 5
            self.assertEqual(float(ds.get_input(3)[2 * 42 + 4 * 7 + 5]), float(self.X[3, 4, 5, 2]))

    def test_per_channel_statistics_and_normalize_match_torch(self):
        path = os.path.join(self.dir, "d.npz")
        np.savez(path, X=self.X, Y=self.Y)
        ds = richeta.Dataset("npz:%s?layout=hwc" % path)
        ds.normalize("per_channel")
        mode, mean, std = ds.get_normalization()
        self.assertEqual(mode, richeta.Norm.PER_CHANNEL)
        xt = torch.from_numpy(self.X).double()
        tmean = xt.mean(dim=(0, 1, 2))
        tstd = xt.std(dim=(0, 1, 2), unbiased=False)
        self.assertLess(float(np.max(np.abs(np.asarray(mean) - tmean.numpy()))), 1e-12)
        self.assertLess(float(np.max(np.abs(np.asarray(std) - tstd.numpy()))), 1e-12)
        chw = xt.permute(0, 3, 1, 2)
        norm = ((chw - tmean[None, :, None, None]) / tstd[None, :, None, None]).reshape(5, -1)
        for i in range(5):
            dev = np.max(np.abs(np.asarray(ds.get_input(i)) - norm[i].numpy()))
            self.assertLess(float(dev), 1e-12)

    def test_npzdir_batches_follow_the_parts_in_order(self):
        parts = os.path.join(self.dir, "parts")
        os.mkdir(parts)
        rng = np.random.default_rng(3)
        Xs = [rng.integers(0, 256, (n, 6, 7, 3), dtype=np.uint8) for n in (4, 3, 5)]
        g = 0
        for k, X in enumerate(Xs):
            np.savez(os.path.join(parts, "cifar5m_part%d.npz" % k), X=X,
                     Y=np.arange(g, g + len(X), dtype=np.int64) % 10)
            g += len(X)
        ds = richeta.Dataset("npzdir:%s?layout=hwc" % parts)
        self.assertEqual(len(ds), 12)
        want = self.chw_rows(np.concatenate(Xs))
        B = 5
        for step in range(5):  # 12 samples: the pass ends inside step 2
            x, y, epoch = ds.batch(seed=step, step=step, batch=B)
            rows = [(step * B + r) % 12 for r in range(B)]
            self.assertTrue(np.array_equal(np.asarray(x), want[rows]), step)
            self.assertEqual([int(np.argmax(v)) for v in np.asarray(y)], [r % 10 for r in rows])
            self.assertEqual(epoch, (step * B + B - 1) // 12)


if __name__ == "__main__":
    unittest.main()
