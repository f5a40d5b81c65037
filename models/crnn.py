"""CRNN: Shi, Bai & Yao (2015), "An end-to-end trainable neural network for image-based sequence recognition
and its application to scene text recognition", section 2 and Table 1.

Convolutional layers (VGG-style: 3x3 convolutions, 2x2 max pooling, then pooling windows 1 wide and 2 high so
that width, the reading direction, keeps more resolution), "map-to-sequence" (each column of the last feature map
is one frame, its channels x height the frame's features; section 2.1), a deep bidirectional LSTM (section 2.2),
and a per-frame softmax over the labels plus the CTC blank (section 2.3), trained with the CTC loss.

Table 1 for a 32-pixel-high input: conv 64, pool 2x2; conv 128, pool 2x2; conv 256, conv 256, pool 1x2; conv 512,
BatchNorm, conv 512, BatchNorm, pool 1x2; conv 512 (2x2 kernel, no padding); two bidirectional LSTMs of 256
units, each (but the last) followed by a linear map of its two directions to 256 (the authors' implementation,
which the 8.3M count includes). `widths` and `lstm_features` scale it (the CPU zip-code config uses a quarter
of the paper's widths).
Variant `crnn`: the paper's, 37 classes (26 letters, 10 digits, blank), 8.3M parameters (section 3.4).
"""

import flax.linen as nn

from models.layers.conv import Conv
from models.layers.recurrent import RecurrentStack

PAPER_WIDTHS = (64, 128, 256, 256, 512, 512, 512)


class CRNN(nn.Module):
    num_classes: int = 36  # labels; the output adds the CTC blank at index 0
    widths: tuple[int, ...] = PAPER_WIDTHS
    lstm_features: int = 256
    lstm_layers: int = 2
    cell: str = "fused_lstm"

    @nn.compact
    def __call__(self, images, train: bool = False):
        if len(self.widths) != 7:
            raise ValueError(f"CRNN has 7 convolutional layers (Table 1); got widths={self.widths}.")
        x = images
        for layer, width in enumerate(self.widths):
            last = layer == 6
            x = Conv(width, (2, 2) if last else (3, 3), padding="VALID" if last else "SAME",
                     use_bias=layer not in (4, 5), name=f"conv{layer}")(x)
            if layer in (4, 5):  # BatchNorm after the fifth and sixth convolutions (Table 1)
                x = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=f"bn{layer}")(x)
            x = nn.relu(x)
            if layer in (0, 1):
                x = nn.max_pool(x, (2, 2), strides=(2, 2))
            elif layer in (3, 5):
                # Table 1's "1x2" windows halve the height only; padding the width by one on each side keeps
                # the frames overlapping as in the authors' implementation.
                x = nn.max_pool(x, (2, 2), strides=(2, 1), padding=((0, 0), (1, 1)))
        batch, height, frames, channels = x.shape
        frames_features = x.transpose(0, 2, 1, 3).reshape(batch, frames, height * channels)  # map-to-sequence
        x = frames_features
        for layer in range(self.lstm_layers):
            x, _ = RecurrentStack(self.cell, self.lstm_features, bidirectional=True,
                                  cell_options={"candidate_bias": True}, name=f"bilstm{layer}")(x)
            if layer < self.lstm_layers - 1:  # the authors' linear map of both directions back to one width
                x = nn.Dense(self.lstm_features, name=f"bilstm{layer}_projection")(x)
        return nn.Dense(self.num_classes + 1, name="transcription")(x)
