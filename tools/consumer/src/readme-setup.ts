// Files README blocks read that a user brings themselves. Each is created in the block's directory
// before the block runs (see README.md, "README code blocks").
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface Setup {
  /** The file name as the block spells it. */
  file: string;
  /** What a user would have in its place. */
  what: string;
  create(dir: string, consumer: string): void;
}

export const SETUPS: Setup[] = [
  {
    file: 'resnet20.safetensors',
    what: "a torchvision-style ResNet-20 state_dict saved by PyTorch (tools/weights/fixtures/resnet20.safetensors, written by make_resnet_fixture.py)",
    create(dir) {
      if (!existsSync(join(dir, this.file))) copyFileSync(join(REPO, 'tools/weights/fixtures/resnet20.safetensors'), join(dir, this.file));
    },
  },
];
