//! `UserStore` contract.

use imagegram::domain::{Role, User};
use imagegram::ports::{StoreError, UserStore};

use super::name;

pub async fn create_get_update(store: &dyn UserStore) {
    let user = User {
        username: name("alice"),
        password_hash: "$argon2id$x".into(),
        tier: "Basic".into(),
        role: Role::User,
        created_at: imagegram::domain::now(),
    };
    store.create_user(&user).await.unwrap();
    // A taken username is AlreadyExists and changes nothing.
    let other = User {
        password_hash: "other".into(),
        ..user.clone()
    };
    assert!(matches!(
        store.create_user(&other).await,
        Err(StoreError::AlreadyExists)
    ));
    let got = store.get_user("alice").await.unwrap().unwrap();
    assert_eq!(got.password_hash, "$argon2id$x");
    assert_eq!(got.role, Role::User);
    assert!(store.get_user("bob").await.unwrap().is_none());

    let promoted = User {
        tier: "Premium".into(),
        role: Role::Admin,
        ..got
    };
    store.update_user(&promoted).await.unwrap();
    let got = store.get_user("alice").await.unwrap().unwrap();
    assert_eq!((got.tier.as_str(), got.role), ("Premium", Role::Admin));
    let ghost = User {
        username: name("ghost"),
        ..promoted
    };
    assert!(matches!(
        store.update_user(&ghost).await,
        Err(StoreError::NotFound)
    ));
}
