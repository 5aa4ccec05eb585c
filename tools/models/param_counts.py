#!/usr/bin/python3
"""Parameter counts of the stridenet model zoo, computed by PyTorch.

torchvision is not installed on the build machines (Debian ships python3-torch only), so the
architectures are defined here with torch.nn, following torchvision's definitions (AlexNet, VGG,
GoogLeNet without aux heads, ResNet-18), Springenberg et al. 2015 (model C family), He et al. 2016
(CIFAR ResNet, option B shortcuts), LeNet-5 (conv 6@5x5 pad 2 variant) and the CCPCCP batch-norm stack.

Usage: /usr/bin/python3 tools/models/param_counts.py > packages/core/src/models/fixtures/param-counts.json
Counts: trainable = sum of parameters(); buffers = running_mean + running_var (num_batches_tracked,
which stridenet does not keep, is left out).
"""
import json
import torch.nn as nn


def lenet5(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes))


def ccpccp(num_classes=10):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(
        *block(1, 32), *block(32, 32), nn.MaxPool2d(2), nn.Dropout(0.25),
        *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(64 * 7 * 7, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(512, num_classes))


def cnn_c(variant, num_classes=10):
    layers = [nn.Dropout(0.2)]
    cin = 3
    for filters in (96, 192):
        if variant == 'base':
            convs = [(filters, 1), (filters, 1)]
        elif variant == 'strided':
            convs = [(filters, 1), (filters, 2)]
        elif variant == 'convpool':
            convs = [(filters, 1), (filters, 1), (filters, 1)]
        else:  # all
            convs = [(filters, 1), (filters, 1), (filters, 2)]
        for f, s in convs:
            layers += [nn.Conv2d(cin, f, 3, stride=s, padding=1), nn.ReLU()]
            cin = f
        if variant in ('base', 'convpool'):
            layers.append(nn.MaxPool2d(3, 2, padding=1))
        layers.append(nn.Dropout(0.5))
    layers += [nn.Conv2d(192, 192, 3), nn.ReLU(), nn.Conv2d(192, 192, 1), nn.ReLU(),
               nn.Conv2d(192, num_classes, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


def alexnet(num_classes=1000, hidden=4096):
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d(6), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 36, hidden), nn.ReLU(),
        nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


VGG = {
    'vgg11': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'vgg16': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
}


def vgg(cfg, num_classes=1000, hidden=4096, batch_norm=False):
    layers, cin = [], 3
    for v in VGG[cfg]:
        if v == 'M':
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers.append(nn.Conv2d(cin, v, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU())
            cin = v
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(7), nn.Flatten(),
                         nn.Linear(512 * 49, hidden), nn.ReLU(), nn.Dropout(),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(), nn.Linear(hidden, num_classes))


def basic_conv(cin, cout, k, s=1, p=0):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p, bias=False), nn.BatchNorm2d(cout, eps=0.001), nn.ReLU())


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, proj, k5):
        super().__init__()
        self.b1 = basic_conv(cin, c1, 1)
        self.b2 = nn.Sequential(basic_conv(cin, c3r, 1), basic_conv(c3r, c3, 3, p=1))
        self.b3 = nn.Sequential(basic_conv(cin, c5r, 1), basic_conv(c5r, c5, k5, p=(k5 - 1) // 2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), basic_conv(cin, proj, 1))


def googlenet(num_classes=1000, k5=3):
    blocks = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64),
              (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
              (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
              (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
              (832, 384, 192, 384, 48, 128, 128)]
    return nn.ModuleList([basic_conv(3, 64, 7, 2, 3), basic_conv(64, 64, 1), basic_conv(64, 192, 3, p=1),
                          *[Inception(*b, k5) for b in blocks], nn.Linear(1024, num_classes)])


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


def resnet(stem, widths, blocks, num_classes):
    mods, cin = [stem], widths[0] if stem[0].out_channels == widths[0] else stem[0].out_channels
    for i, w in enumerate(widths):
        for b in range(blocks):
            mods.append(BasicBlock(cin, w, 2 if b == 0 and i > 0 else 1))
            cin = w
    mods.append(nn.Linear(cin, num_classes))
    return nn.ModuleList(mods)


def resnet18(num_classes=1000):
    stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64))
    return resnet(stem, [64, 128, 256, 512], 2, num_classes)


def resnet_cifar(depth=20, num_classes=10):
    stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16))
    return resnet(stem, [16, 32, 64], (depth - 2) // 6, num_classes)


# name -> (zoo model, stridenet options, torch module). Options are what the TypeScript test passes
# to createModel; the "-small" entries are the reduced configurations the tests run on cpu-js.
CONFIGS = {
    'lenet5': ('lenet5', {}, lambda: lenet5()),
    'ccpccp': ('ccpccp', {}, lambda: ccpccp()),
    'cnnC': ('cnnC', {}, lambda: cnn_c('base')),
    'stridedCnnC': ('stridedCnnC', {}, lambda: cnn_c('strided')),
    'convPoolCnnC': ('convPoolCnnC', {}, lambda: cnn_c('convpool')),
    'allCnnC': ('allCnnC', {}, lambda: cnn_c('all')),
    'allCnnC-cifar100': ('allCnnC', {'numClasses': 100}, lambda: cnn_c('all', 100)),
    'alexnet': ('alexnet', {}, lambda: alexnet()),
    'alexnet-small': ('alexnet', {'numClasses': 10, 'hiddenUnits': 64, 'inputShape': [3, 64, 64]}, lambda: alexnet(10, 64)),
    'vgg11': ('vgg11', {}, lambda: vgg('vgg11')),
    'vgg11-bn': ('vgg11', {'batchNorm': True}, lambda: vgg('vgg11', batch_norm=True)),
    'vgg11-small': ('vgg11', {'numClasses': 10, 'hiddenUnits': 64, 'inputShape': [3, 32, 32]}, lambda: vgg('vgg11', 10, 64)),
    'vgg16': ('vgg16', {}, lambda: vgg('vgg16')),
    'vgg16-small': ('vgg16', {'numClasses': 10, 'hiddenUnits': 64, 'inputShape': [3, 32, 32]}, lambda: vgg('vgg16', 10, 64)),
    'googlenet': ('googlenet', {}, lambda: googlenet()),
    'googlenet-5x5': ('googlenet', {'branch3Kernel': 5}, lambda: googlenet(k5=5)),
    'googlenet-small': ('googlenet', {'numClasses': 10, 'inputShape': [3, 64, 64]}, lambda: googlenet(10)),
    'resnet20': ('resnet20', {}, lambda: resnet_cifar(20)),
    'resnet18': ('resnet18', {}, lambda: resnet18()),
    'resnet18-small': ('resnet18', {'numClasses': 10, 'inputShape': [3, 32, 32]}, lambda: resnet18(10)),
}


def counts(m):
    trainable = sum(p.numel() for p in m.parameters())
    buffers = sum(b.numel() for n, b in m.named_buffers() if not n.endswith('num_batches_tracked'))
    return trainable, buffers


if __name__ == '__main__':
    import torch
    out = {}
    for name, (model, options, make) in CONFIGS.items():
        trainable, buffers = counts(make())
        out[name] = {'model': model, 'options': options, 'trainable': trainable, 'buffers': buffers}
    print(json.dumps({'generator': 'tools/models/param_counts.py', 'torch': torch.__version__, 'counts': out}, indent=2))
