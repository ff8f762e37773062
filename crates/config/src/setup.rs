//! What one process runs as: an acceptor, or a client of the acceptors, with
//! its private key.

use crate::cluster::{Cluster, Member, Role};
use ed25519_dalek::{SigningKey, VerifyingKey};
use hetpaxos_messages::{Ed25519ProposalSigner, Ed25519Signer, ProposerId};
use hetpaxos_quorums::AcceptorId;
use std::sync::Arc;

/// One acceptor's configuration: its cluster, id and private key.
#[derive(Clone)]
pub struct AcceptorSetup {
    /// The cluster.
    pub cluster: Cluster,
    /// This acceptor.
    pub id: AcceptorId,
    /// Its name.
    pub name: String,
    key: SigningKey,
}

impl std::fmt::Debug for AcceptorSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptorSetup")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AcceptorSetup {
    /// Checks that `name` is in the cluster and `key` matches its public key.
    pub fn new(cluster: Cluster, name: &str, key: SigningKey) -> Result<Self, String> {
        let index = cluster
            .config
            .acceptors
            .iter()
            .position(|a| a.name == name)
            .ok_or_else(|| format!("acceptor {name:?} is not in the cluster"))?;
        let id = AcceptorId::new(index).ok_or("too many acceptors")?;
        if cluster.keys[index] != key.verifying_key() {
            return Err(format!(
                "private key does not match the public key of acceptor {name} in the cluster"
            ));
        }
        Ok(Self {
            cluster,
            id,
            name: name.to_string(),
            key,
        })
    }

    /// The signer of this acceptor.
    pub fn signer(&self) -> Arc<Ed25519Signer> {
        Arc::new(Ed25519Signer::new(
            self.id,
            self.key.clone(),
            self.cluster.context,
        ))
    }

    /// Its private key (for its TLS identity).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The address this acceptor listens on, per the cluster.
    pub fn address(&self) -> &str {
        &self.cluster.config.acceptors[self.id.index()].address
    }
}

/// A client's configuration: a learner process or a proposer, its cluster,
/// name and private key.
#[derive(Clone)]
pub struct ClientSetup {
    /// The cluster.
    pub cluster: Cluster,
    /// Learner or proposer.
    pub role: Role,
    /// Its name in the cluster's list of clients of that role.
    pub name: String,
    /// Its position in that list (a proposer signs 1as as this number).
    pub index: usize,
    key: SigningKey,
}

impl std::fmt::Debug for ClientSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSetup")
            .field("role", &self.role)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ClientSetup {
    /// Checks that `name` is a client of `role` in the cluster and `key`
    /// matches its public key.
    pub fn new(cluster: Cluster, role: Role, name: &str, key: SigningKey) -> Result<Self, String> {
        let list = cluster.clients(role);
        let index = list
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| format!("{} {name:?} is not in the cluster", role.name()))?;
        if list[index].1 != key.verifying_key() {
            return Err(format!(
                "private key does not match the public key of {} {name} in the cluster",
                role.name()
            ));
        }
        Ok(Self {
            cluster,
            role,
            name: name.to_string(),
            index,
            key,
        })
    }

    /// Its private key (for its TLS identity and, for a proposer, its 1as).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Its public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The member of the cluster this client is.
    pub fn member(&self) -> Member {
        Member::Client {
            role: self.role,
            name: self.name.clone(),
            index: self.index,
        }
    }

    /// The signer of this client's 1as, if it is a proposer.
    pub fn proposal_signer(&self) -> Option<Arc<Ed25519ProposalSigner>> {
        (self.role == Role::Proposer).then(|| {
            Arc::new(Ed25519ProposalSigner::new(
                ProposerId(u32::try_from(self.index).unwrap_or(u32::MAX)),
                self.key.clone(),
                self.cluster.context,
            ))
        })
    }
}
