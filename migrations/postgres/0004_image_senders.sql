-- Senders whose messages show their remote images (through the image proxy) without asking.
CREATE TABLE image_senders (
    username TEXT NOT NULL,
    -- Lower-case address.
    sender TEXT NOT NULL,
    PRIMARY KEY (username, sender)
);
